/**
 * Inline SVG: one stacked horizontal bar per provider and measure (credential age since
 * rotation, time since last use), segments coloured by bucket. No scripts, no external refs.
 */
import type { ProviderBuckets } from '../stats.js';
import { escapeHtml as h } from './escape.js';

/** Fresh to stale, then grey for unknown / never. */
export const BUCKET_COLOURS = ['#2e7d32', '#7cb342', '#fbc02d', '#fb8c00', '#c62828', '#9e9e9e'];

const LABEL_W = 230;
const BAR_W = 460;
const ROW_H = 22;
const GAP = 6;

export function bucketChartSvg(
  providers: Record<string, ProviderBuckets>,
  ageLabels: readonly string[],
  lastUseLabels: readonly string[],
): string {
  const rows: { label: string; counts: number[]; labels: readonly string[] }[] = [];
  for (const [name, p] of Object.entries(providers)) {
    rows.push({ label: `${name} · age`, counts: p.age, labels: ageLabels });
    rows.push({ label: `${name} · last use`, counts: p.lastUse, labels: lastUseLabels });
  }
  const legendY = rows.length * (ROW_H + GAP) + 10;
  const height = legendY + 24;
  const width = LABEL_W + BAR_W + 130;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title id="chart-title">Credential age and last use per provider</title>`,
  ];
  rows.forEach((r, i) => {
    const y = i * (ROW_H + GAP);
    const total = r.counts.reduce((a, b) => a + b, 0);
    parts.push(`<text x="${LABEL_W - 8}" y="${y + ROW_H / 2 + 4}" text-anchor="end">${h(r.label)}</text>`);
    parts.push(`<rect x="${LABEL_W}" y="${y}" width="${BAR_W}" height="${ROW_H}" fill="#f0f0f0"/>`);
    let x = LABEL_W;
    r.counts.forEach((n, b) => {
      if (n <= 0 || total === 0) return;
      const w = (n / total) * BAR_W;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW_H}" fill="${BUCKET_COLOURS[b] ?? '#666'}"><title>${h(`${r.labels[b] ?? ''}: ${n}`)}</title></rect>`,
      );
      if (w > 28)
        parts.push(
          `<text x="${(x + w / 2).toFixed(1)}" y="${y + ROW_H / 2 + 4}" text-anchor="middle" fill="#fff">${n}</text>`,
        );
      x += w;
    });
    parts.push(`<text x="${LABEL_W + BAR_W + 6}" y="${y + ROW_H / 2 + 4}">${total}</text>`);
  });
  // One legend for both measures: the first five buckets are the same ranges; the grey one
  // means "no date" for each measure in its own way, so it is spelt out rather than joined.
  const legendLabels = ageLabels.map((l, i) =>
    i === ageLabels.length - 1 ? 'no date (age unknown; last use: never or no signal)' : l,
  );
  let lx = 10;
  legendLabels.forEach((l, i) => {
    parts.push(
      `<rect x="${lx}" y="${legendY}" width="12" height="12" fill="${BUCKET_COLOURS[i] ?? '#666'}"/>`,
    );
    parts.push(`<text x="${lx + 16}" y="${legendY + 10}">${h(l)}</text>`);
    // ~6.5 px per character at 12 px: labels are ours, never provider text.
    lx += 16 + Math.ceil(l.length * 6.5) + 18;
  });
  if (rows.length === 0) parts.push(`<text x="${LABEL_W}" y="14">no identities</text>`);
  parts.push('</svg>');
  return parts.join('');
}
