import stringWidth from 'string-width';
import { safeLine } from './safe-text.js';
import { COLORED_COLUMNS, paintValue, type TableStyle, tableStyle } from './table-style.js';

/**
 * Free-text columns a table may shorten (with "…") to fit the terminal: never refs, ids,
 * digests or versions, which a user copies.
 */
const FLEX_COLUMNS = new Set([
  'SUMMARY',
  'NOTE',
  'REASON',
  'ERROR',
  'LAST ERROR',
  'WHY',
  'DETAIL',
  'OWNERS',
  'CONTACT',
  'APPROVERS',
]);
const MIN_FLEX = 12;

/** Cut `text` to `width` display columns, ending in "…" when cut. */
function truncate(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let out = '';
  for (const ch of text) {
    if (stringWidth(out + ch) > width - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/**
 * A plain text table: columns padded to the widest cell (by display width: CJK and emoji count
 * double). With a style from a terminal (table-style.ts), free-text columns are shortened so the
 * table fits its width, and states and severities are coloured.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  style: TableStyle = tableStyle(),
): string {
  const cells = rows.map((r) => r.map((c) => safeLine(c)));
  const widths = headers.map((h, i) =>
    Math.max(stringWidth(h), ...cells.map((r) => stringWidth(r[i] ?? ''))),
  );
  if (style.maxWidth !== undefined) fitWidths(widths, headers, style.maxWidth);
  const colored = headers.map((h) => style.color && COLORED_COLUMNS.has(h));
  const line = (r: readonly string[], body: boolean) =>
    r
      .map((c, i) => {
        const w = widths[i] ?? 0;
        const text = truncate(c, w);
        const pad = ' '.repeat(Math.max(0, w - stringWidth(text)));
        return (body && colored[i] ? paintValue(text) : text) + pad;
      })
      .join('  ')
      .trimEnd();
  return [
    line(headers, false),
    line(
      widths.map((w) => '-'.repeat(w)),
      false,
    ),
    ...cells.map((r) => line(r, true)),
  ].join('\n');
}

/** Shrink the widest free-text column, one column at a time, until the table fits or none can shrink. */
function fitWidths(widths: number[], headers: readonly string[], maxWidth: number): void {
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  for (;;) {
    const over = total() - maxWidth;
    if (over <= 0) return;
    let widest = -1;
    for (const [i, h] of headers.entries())
      if (
        FLEX_COLUMNS.has(h) &&
        (widths[i] ?? 0) > MIN_FLEX &&
        (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0))
      )
        widest = i;
    if (widest < 0) return;
    widths[widest] = Math.max(MIN_FLEX, (widths[widest] ?? 0) - over);
  }
}
