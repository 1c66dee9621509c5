/**
 * Pieces of the HTML report: the stylesheet, the summary tiles and the owner view. Severity
 * tiles carry their colour when they count something and are greyed out at zero, so "0
 * critical" can never be mistaken for "5 high".
 */
import { SEVERITIES } from '../../config/schema.js';
import { escapeHtml as h } from './escape.js';
import type { ReportHeader } from './model.js';
import { SEVERITY_COLOURS } from './palette.js';

/** Owners listed in the HTML owner view; the JSON report has them all. */
export const OWNER_ROWS = 50;

const severityCss = Object.entries(SEVERITY_COLOURS)
  .map(
    ([s, c]) =>
      `.sev-${s}{background:${c.fill};color:${c.text}}.tile.sev-${s}{background:${c.fill};color:${c.text};border-color:${c.fill}}` +
      `.tile.zero.sev-${s}{border-left:6px solid ${c.fill}}.num.sev-${s}{background:${c.fill};color:${c.text}}`,
  )
  .join('');

export const CSS = `
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d1d1f;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.meta{color:#555;margin:0 0 1rem}.error{background:#fdecea;border:1px solid #f5c2c0;padding:.5rem .8rem;border-radius:6px}
.tiles{display:flex;flex-wrap:wrap;gap:.75rem;margin:.5rem 0}
.tile{border:1px solid #d0d0d0;border-radius:10px;padding:.6rem .9rem;min-width:7.5rem;background:#fafafa}
.tile b{display:block;font-size:1.8rem;line-height:1.15}.tile span{font-size:.85rem;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{border-bottom:1px solid #e5e5e5;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#fafafa;position:sticky;top:0}td.ref,td.owner{font-family:ui-monospace,monospace;overflow-wrap:anywhere}td.ref{min-width:16rem}time{white-space:nowrap}
td.n,th.n{text-align:right;width:5.5rem}.num{display:inline-block;min-width:1.6rem;text-align:center;border-radius:4px;padding:.05rem .35rem;font-weight:600}
.sev{font-weight:600;border-radius:4px;padding:.05rem .4rem}
${severityCss}
.tile.zero{background:#f4f4f4;color:#9e9e9e;border-top-color:#e4e4e4;border-right-color:#e4e4e4;border-bottom-color:#e4e4e4}
.num.zero{background:none;color:#bdbdbd;font-weight:400}
.new{color:#2e7d32;font-weight:600}details summary{cursor:pointer;color:#555}pre{white-space:pre-wrap;margin:.25rem 0;font-size:.75rem}
.chart{overflow-x:auto}
`;

const tile = (label: string, value: number, cls = '') =>
  `<div class="tile${cls}"><b>${value}</b><span>${h(label)}</span></div>`;

/** Severity tiles (most severe first), then the scan's counts in neutral tiles. */
export function summaryTiles(hd: ReportHeader): string {
  const f = hd.summary.findings;
  const sev = [...SEVERITIES]
    .reverse()
    .map((s) => {
      const n = f.bySeverity[s] ?? 0;
      return tile(s, n, ` sev-${s}${n === 0 ? ' zero' : ''}`);
    })
    .join('');
  const stats =
    tile('open findings', f.open) +
    tile('new', f.opened) +
    tile('severity changed', f.changed) +
    tile('resolved', f.resolved) +
    tile('acknowledged', f.acknowledged) +
    tile('identities', hd.summary.identities);
  return `<div class="tiles" aria-label="open findings by severity">${sev}</div><div class="tiles">${stats}</div>`;
}

/** Who has to act: open findings per contact, most severe first. */
export function ownerView(hd: ReportHeader): string {
  const owners = hd.summary.byOwner;
  const sevs = [...SEVERITIES].reverse();
  const head = `<tr><th>Owner / contact</th>${sevs.map((s) => `<th class="n">${h(s)}</th>`).join('')}<th class="n">open</th></tr>`;
  const rows = owners
    .slice(0, OWNER_ROWS)
    .map((o) => {
      const cells = sevs
        .map((s) => {
          const n = o.bySeverity[s] ?? 0;
          return `<td class="n"><span class="num sev-${s}${n === 0 ? ' zero' : ''}">${n}</span></td>`;
        })
        .join('');
      return `<tr><td class="owner">${o.owner ? h(o.owner) : '<i>no contact</i>'}</td>${cells}<td class="n">${o.open}</td></tr>`;
    })
    .join('');
  const more =
    owners.length > OWNER_ROWS
      ? `<p class="meta">… and ${owners.length - OWNER_ROWS} more owners: see the JSON report (summary.byOwner).</p>`
      : '';
  const body = rows || `<tr><td colspan="${sevs.length + 2}">No open findings.</td></tr>`;
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>${more}`;
}
