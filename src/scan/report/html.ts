/**
 * The self-contained HTML report: inline CSS and an inline SVG chart, no scripts and no
 * external assets (a strict CSP meta tag says so), every provider-supplied string escaped.
 */
import { escapeHtml as h, type ReportSink } from './escape.js';
import type { ReportSource } from './model.js';
import { bucketChartSvg } from './svg.js';

const CSS = `
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d1d1f;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.meta{color:#555;margin:0 0 1rem}.cards{display:flex;flex-wrap:wrap;gap:.75rem}
.card{border:1px solid #ddd;border-radius:8px;padding:.6rem .9rem;min-width:7rem}
.card b{display:block;font-size:1.4rem}.error{background:#fdecea;border:1px solid #f5c2c0;padding:.5rem .8rem;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{border-bottom:1px solid #e5e5e5;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#fafafa;position:sticky;top:0}td.ref{font-family:ui-monospace,monospace;word-break:break-all}
.sev{font-weight:600;border-radius:4px;padding:.05rem .4rem;color:#fff}
.sev-critical{background:#8e0000}.sev-high{background:#c62828}.sev-medium{background:#ef6c00}.sev-low{background:#f9a825;color:#222}.sev-info{background:#607d8b}
.new{color:#2e7d32;font-weight:600}details summary{cursor:pointer;color:#555}pre{white-space:pre-wrap;margin:.25rem 0;font-size:.75rem}
`;

export async function renderHtml(report: ReportSource, write: ReportSink): Promise<number> {
  const hd = report.header;
  const f = hd.summary.findings;
  await write(
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
      `<meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>nhi scan report ${h(hd.scan.startedAt.slice(0, 10))}</title><style>${CSS}</style></head><body>`,
  );
  await write(
    `<h1>nhi scan report</h1><p class="meta">Scan <code>${h(hd.scan.id)}</code> · status <b>${h(hd.scan.status)}</b> · started ${h(hd.scan.startedAt)}${hd.scan.finishedAt ? ` · finished ${h(hd.scan.finishedAt)}` : ''} · providers: ${hd.scan.providers.map(h).join(', ')}</p>`,
  );
  for (const e of hd.scan.errors)
    await write(`<p class="error">Provider error — ${h(e.provider)}: ${h(e.message)}</p>`);
  await write(`<section id="summary"><h2>Summary</h2><div class="cards">`);
  const card = (label: string, value: number | string) =>
    `<div class="card"><b>${h(value)}</b>${h(label)}</div>`;
  await write(
    card('identities', hd.summary.identities) +
      card('open findings', f.open) +
      card('new', f.opened) +
      card('severity changed', f.changed) +
      card('resolved', f.resolved),
  );
  for (const [sev, n] of Object.entries(f.bySeverity).reverse()) await write(card(sev, n));
  await write(
    `</div><p class="meta">By type: ${Object.entries(f.byType)
      .map(([t, n]) => `${h(t)} ${n}`)
      .join(' · ')} — by state: ${Object.entries(hd.summary.byState)
      .map(([s, n]) => `${h(s)} ${n}`)
      .join(' · ')} — by tier: ${Object.entries(hd.summary.byTier)
      .map(([s, n]) => `${h(s)} ${n}`)
      .join(' · ')}</p>`,
  );
  await write(
    `<p class="meta">Thresholds: standard dormant ${hd.thresholds.standard.dormantDays} d / max age ${hd.thresholds.standard.maxAgeDays} d; privileged dormant ${hd.thresholds.privileged.dormantDays} d / max age ${hd.thresholds.privileged.maxAgeDays} d.</p></section>`,
  );
  await write(`<section id="chart"><h2>Credential age and last use per provider</h2>`);
  await write(bucketChartSvg(hd.charts.providers, hd.charts.ageBuckets, hd.charts.lastUseBuckets));
  await write(
    `</section><section id="findings"><h2>Open findings</h2><table><thead><tr><th>Severity</th><th>Type</th><th>Ref</th><th>Summary</th><th>Owners to contact</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>`,
  );
  let n = 0;
  for await (const x of report.findings()) {
    await write(
      `<tr><td><span class="sev sev-${h(x.severity)}">${h(x.severity)}</span>${x.isNew ? ' <span class="new">new</span>' : ''}</td><td>${h(x.type)}</td><td class="ref">${h(x.ref)}</td>` +
        `<td>${h(x.summary)}<details><summary>evidence</summary><pre>${h(JSON.stringify(x.evidence, null, 1)).replace(/\\n/g, '\n')}</pre></details></td>` +
        `<td>${x.owners.map(h).join(', ') || '—'}</td><td>${h(x.firstSeen)}</td><td>${h(x.lastSeen)}</td></tr>`,
    );
    n++;
  }
  if (n === 0) await write(`<tr><td colspan="7">No open findings.</td></tr>`);
  await write(
    `</tbody></table></section><p class="meta">Report schema v${hd.schemaVersion} · generated ${h(hd.generatedAt)} by nhi-reissue</p></body></html>\n`,
  );
  return n;
}
