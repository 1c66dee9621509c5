/**
 * Make provider-supplied text safe for a terminal or a log line: control characters
 * (ESC sequences, CR, NUL, ...) become visible \u escapes. Newlines and tabs survive.
 */
export function safeText(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** One-line variant: newlines escaped too. */
export function safeLine(text: string): string {
  return safeText(text).replace(/\r?\n|\t/g, (c) => (c === '\t' ? '\\t' : '\\n'));
}

/** A plain text table: columns padded to the widest cell. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((r) => r.map((c) => safeLine(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
