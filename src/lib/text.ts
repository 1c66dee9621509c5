import stringWidth from 'string-width';
import { COLORED_COLUMNS, paintValue, type TableStyle, tableStyle } from './table-style.js';

/**
 * Characters that change how text around them is shown without being visible themselves:
 * C0/C1 controls (ESC sequences, CR, NUL, ...; not \n and \t), the Unicode bidi controls
 * (ALM U+061C, LRM/RLM U+200E/F, embeddings and overrides U+202A–202E, isolates U+2066–2069;
 * an RLO in a name reverses what follows it — "Trojan Source") and the line/paragraph
 * separators U+2028/2029.
 */
const INVISIBLE_CONTROLS =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/**
 * Make provider-supplied text safe for a terminal, a log line or a report: every invisible
 * control becomes a visible \u escape (the one place for table, Markdown and HTML output).
 */
export function safeText(text: string): string {
  return text.replace(INVISIBLE_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One-line variant: newlines escaped too. */
export function safeLine(text: string): string {
  return safeText(text).replace(/\r?\n|\t/g, (c) => (c === '\t' ? '\\t' : '\\n'));
}

/**
 * Free-text columns a table may shorten (with "…") to fit the terminal: never refs, ids,
 * digests or versions, which a user copies.
 */
const FLEX_COLUMNS = new Set([
  'SUMMARY',
  'NOTE',
  'REASON',
  'ERROR',
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
