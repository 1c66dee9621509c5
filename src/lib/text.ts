import stringWidth from 'string-width';
import { safeLine } from './safe-text.js';
import { COLORED_COLUMNS, paintValue, type TableStyle, tableStyle } from './table-style.js';

/**
 * Free-text columns a table may shorten (with "…") to fit the terminal: never refs, ids,
 * digests or versions, which a user copies.
 */
const FLEX_COLUMNS = new Set([
  'SUMMARY',
  // A short state is never cut (below MIN_FLEX); a delivery's "failed, retrying at ..." may be.
  'STATE',
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

/**
 * Display columns of `text`: printable ASCII is one column a character, which is nearly every
 * ref, id and date, so string-width (Unicode segmentation, ~tens of µs a call) runs only for the
 * rest. A 150k-row inventory table took 12.8 s with string-width on every cell, 0.25 s now.
 */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
function width(text: string): number {
  return PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text);
}

/** Cut `text` to `columns` display columns, ending in "…" when cut. */
function truncate(text: string, columns: number): string {
  if (width(text) <= columns) return text;
  let out = '';
  for (const ch of text) {
    if (width(out + ch) > columns - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/**
 * Secondary columns a table hides, in this order, when shortening free text is not enough to
 * fit the terminal (as `kubectl` keeps its wide columns for `-o wide`): timestamps, and a
 * delivery's id, which no command takes. Hidden whole, never cut; a note under the table names
 * them, and `--json` or a wider terminal shows them.
 */
const HIDE_ORDER = ['RESOLVED', 'FIRST SEEN', 'UPDATED', 'CONFIRMED', 'CREATED', 'DELIVERY', 'LAST SEEN'];

/**
 * A plain text table: columns padded to the widest cell (by display width: CJK and emoji count
 * double). With a style from a terminal (table-style.ts), free-text columns are shortened so the
 * table fits its width, then secondary columns hidden (HIDE_ORDER, named under the table), and
 * states and severities are coloured.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  style: TableStyle = tableStyle(),
): string {
  let shown = headers.map((_, i) => i);
  const cells = rows.map((r) => r.map((c) => safeLine(c)));
  // A loop, not Math.max(...cells): an inventory table of 100k rows is more arguments than a call takes.
  const widthsOf = (columns: readonly number[]) =>
    columns.map((i) => {
      let w = width(headers[i] ?? '');
      for (const r of cells) w = Math.max(w, width(r[i] ?? ''));
      return w;
    });
  let widths = widthsOf(shown);
  const hidden: string[] = [];
  if (style.maxWidth !== undefined) {
    const max = style.maxWidth;
    const names = () => shown.map((i) => headers[i] ?? '');
    fitWidths(widths, names(), max);
    for (const name of HIDE_ORDER) {
      if (tableWidth(widths) <= max) break;
      const at = headers.indexOf(name);
      if (at < 0 || shown.length <= 2) continue;
      shown = shown.filter((i) => i !== at);
      hidden.push(name);
      widths = widthsOf(shown);
      fitWidths(widths, names(), max);
    }
  }
  const colored = shown.map((i) => style.color && COLORED_COLUMNS.has(headers[i] ?? ''));
  const line = (r: readonly string[], body: boolean) =>
    shown
      .map((col, i) => {
        const w = widths[i] ?? 0;
        const text = truncate(r[col] ?? '', w);
        const pad = ' '.repeat(Math.max(0, w - width(text)));
        return (body && colored[i] ? paintValue(text) : text) + pad;
      })
      .join('  ')
      .trimEnd();
  const rule = headers.map((_, col) => '-'.repeat(widths[shown.indexOf(col)] ?? 0));
  const lines = [line(headers, false), line(rule, false), ...cells.map((r) => line(r, true))];
  if (hidden.length > 0)
    lines.push(
      `(hidden to fit ${style.maxWidth} columns: ${hidden.join(', ')}; a wider terminal or --json shows them)`,
    );
  return lines.join('\n');
}

function tableWidth(widths: readonly number[]): number {
  return widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
}

/** Shrink the widest free-text column, one column at a time, until the table fits or none can shrink. */
function fitWidths(widths: number[], headers: readonly string[], maxWidth: number): void {
  for (;;) {
    const over = tableWidth(widths) - maxWidth;
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
