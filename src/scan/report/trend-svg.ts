/**
 * Inline SVG: open findings at the end of each recent scan, one stacked column per scan,
 * segments by severity (critical at the bottom, where it is read first). Static, no scripts;
 * <title> elements give the exact numbers as tooltips.
 */
import { SEVERITIES_DESC } from '../severity.js';
import { escapeHtml as h } from './escape.js';
import type { TrendPoint } from './history.js';
import { severityColour } from './palette.js';

const LEFT = 44;
const TOP = 22;
const PLOT_H = 150;
const COL_W = 34;
const GAP = 20;

/** 1, 2, 5, 10, 20, 50, ... at or above n, so gridlines fall on round numbers. */
function niceCeil(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

export function trendChartSvg(trend: readonly TrendPoint[]): string {
  const top = niceCeil(Math.max(1, ...trend.map((p) => p.open)));
  const plotW = Math.max(trend.length, 1) * (COL_W + GAP) + GAP;
  // Wide enough for the legend line even with one column.
  const width = Math.max(LEFT + plotW + 10, 600);
  const legendY = TOP + PLOT_H + 44;
  const height = legendY + 26;
  const y = (v: number) => TOP + PLOT_H - (v / top) * PLOT_H;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="trend-title" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title id="trend-title">Open findings by severity at the end of the last ${trend.length} scan(s)</title>`,
  ];
  for (const v of [0, top / 2, top]) {
    if (v !== Math.round(v)) continue;
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${v === 0 ? '#9e9e9e' : '#e0e0e0'}"/>`,
      `<text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${v}</text>`,
    );
  }
  trend.forEach((p, i) => {
    const x = LEFT + GAP + i * (COL_W + GAP);
    const when = p.at.slice(0, 16).replace('T', ' ');
    let base = 0;
    for (const s of SEVERITIES_DESC) {
      const n = p.bySeverity[s] ?? 0;
      if (n <= 0) continue;
      parts.push(
        `<rect x="${x}" y="${y(base + n).toFixed(1)}" width="${COL_W}" height="${((n / top) * PLOT_H).toFixed(1)}" fill="${severityColour(s).fill}"><title>${h(`${when} UTC: ${n} ${s}`)}</title></rect>`,
      );
      base += n;
    }
    // A failed or interrupted scan did not resolve what it did not see: its count may be high.
    const mark = p.status === 'completed' ? '' : '†';
    parts.push(
      `<text x="${x + COL_W / 2}" y="${(y(base) - 5).toFixed(1)}" text-anchor="middle" font-weight="600">${p.open}${mark}</text>`,
      `<text x="${x + COL_W / 2}" y="${TOP + PLOT_H + 16}" text-anchor="middle" fill="#555">${h(p.at.slice(5, 10))}</text>`,
    );
  });
  let lx = LEFT;
  for (const s of SEVERITIES_DESC) {
    parts.push(
      `<rect x="${lx}" y="${legendY}" width="12" height="12" fill="${severityColour(s).fill}"/>`,
      `<text x="${lx + 16}" y="${legendY + 10}">${s}</text>`,
    );
    lx += 16 + s.length * 7 + 18;
  }
  if (trend.some((p) => p.status !== 'completed'))
    parts.push(`<text x="${lx}" y="${legendY + 10}" fill="#555">† scan failed or interrupted</text>`);
  parts.push('</svg>');
  return parts.join('');
}
