/**
 * The self-contained HTML report: inline CSS and inline SVG charts, no scripts and no
 * external assets (a strict CSP meta tag says so), every provider-supplied string escaped.
 */
import { escapeHtml as h, type ReportSink } from './escape.js';
import { CSS, ownerView, summaryTiles } from './html-parts.js';
import type { ReportSource } from './model.js';
import { bucketChartSvg } from './svg.js';
import { toolInfo } from './tool.js';
import { trendChartSvg } from './trend-svg.js';

/** Minutes are enough to read; the exact instant stays in the datetime attribute. */
const when = (iso: string) => `<time datetime="${h(iso)}">${h(iso.slice(0, 16).replace('T', ' '))}</time>`;

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
  await write(`<section id="summary"><h2>Summary</h2>${summaryTiles(hd)}`);
  const nonzero = (r: Record<string, number>) =>
    Object.entries(r)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${h(k)} ${n}`)
      .join(' · ') || 'none';
  await write(
    `<p class="meta">By type: ${nonzero(f.byType)} — by state: ${nonzero(hd.summary.byState)} — by tier: ${nonzero(hd.summary.byTier)}</p>`,
  );
  await write(
    `<p class="meta">Thresholds: standard dormant ${hd.thresholds.standard.dormantDays} d / max age ${hd.thresholds.standard.maxAgeDays} d; privileged dormant ${hd.thresholds.privileged.dormantDays} d / max age ${hd.thresholds.privileged.maxAgeDays} d.</p></section>`,
  );
  const trend = hd.charts.trend;
  await write(
    `<section id="trend"><h2>Open findings over the last ${trend.length} scan(s)</h2><div class="chart">${trendChartSvg(trend)}</div>` +
      (trend.length < 2
        ? `<p class="meta">The first scan of these provider instances: the trend grows with each scan.</p>`
        : `<p class="meta">Scans of the same provider instances (${hd.scan.providers.map(h).join(', ')}), read from the audit log.</p>`) +
      `</section>`,
  );
  await write(`<section id="owners"><h2>Open findings by owner</h2>${ownerView(hd)}</section>`);
  await write(`<section id="chart"><h2>Credential age and last use per provider</h2><div class="chart">`);
  await write(bucketChartSvg(hd.charts.providers, hd.charts.ageBuckets, hd.charts.lastUseBuckets));
  await write(
    `</div></section><section id="findings"><h2>Open findings</h2><table><thead><tr><th>Severity</th><th>Type</th><th>Ref</th><th>Summary</th><th>Owners to contact</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>`,
  );
  let n = 0;
  for await (const x of report.findings()) {
    await write(
      `<tr><td><span class="sev sev-${h(x.severity)}">${h(x.severity)}</span>${x.isNew ? ' <span class="new">new</span>' : ''}</td><td>${h(x.type)}</td><td class="ref">${h(x.ref)}</td>` +
        `<td>${h(x.summary)}<details><summary>evidence</summary><pre>${h(JSON.stringify(x.evidence, null, 1)).replace(/\\n/g, '\n')}</pre></details></td>` +
        `<td>${x.owners.map(h).join(', ') || '—'}</td><td>${when(x.firstSeen)}</td><td>${when(x.lastSeen)}</td></tr>`,
    );
    n++;
  }
  if (n === 0) await write(`<tr><td colspan="7">No open findings.</td></tr>`);
  await write(
    `</tbody></table></section><p class="meta">Report schema v${hd.schemaVersion} · generated ${h(hd.generatedAt)} by ${h(toolInfo().name)} ${h(toolInfo().version)}</p></body></html>\n`,
  );
  return n;
}
