/**
 * The terminal report: summary lines and a table of the most severe open findings. A table
 * needs every row to size its columns, so it shows at most TABLE_ROW_LIMIT rows and points
 * at the other formats for the rest. All text goes through safeText / safeLine.
 */
import { safeText } from '../../lib/safe-text.js';
import { renderTable } from '../../lib/text.js';
import type { ReportSink } from './escape.js';
import type { ReportSource } from './model.js';

export const TABLE_ROW_LIMIT = 500;

export async function renderTerminal(
  report: ReportSource,
  write: ReportSink,
  limit = TABLE_ROW_LIMIT,
): Promise<number> {
  const h = report.header;
  const f = h.summary.findings;
  const rows: string[][] = [];
  let n = 0;
  for await (const x of report.findings()) {
    n++;
    if (rows.length < limit) {
      rows.push([
        x.severity + (x.isNew ? ' *' : ''),
        x.type,
        x.ref,
        x.summary,
        x.owners.join(',') || '-',
        x.firstSeen.slice(0, 10),
      ]);
    }
  }
  const lines = [
    `scan ${h.scan.id}: ${h.scan.status}, ${h.summary.identities} identities, ${f.open} open findings ` +
      `(${f.opened} new, ${f.changed} severity changed, ${f.resolved} resolved)`,
    ...h.scan.errors.map((e) => `provider error: ${e.provider}: ${e.message}`),
    `by severity: ${Object.entries(f.bySeverity)
      .reverse()
      .map(([s, c]) => `${s} ${c}`)
      .join(', ')}`,
  ];
  await write(`${safeText(lines.join('\n'))}\n`);
  if (rows.length > 0) {
    await write(`\n${renderTable(['SEVERITY', 'TYPE', 'REF', 'SUMMARY', 'CONTACT', 'FIRST SEEN'], rows)}\n`);
    await write(`(* = new in this scan)\n`);
  }
  if (n > rows.length)
    await write(`... and ${n - rows.length} more: use --format json|markdown|html --out FILE\n`);
  return n;
}
