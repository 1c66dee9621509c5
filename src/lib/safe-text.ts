/**
 * Terminal-safe text, with no dependencies: imported on every start (src/cli/context.ts), so the
 * display-width tables of ./text.ts load only where a table is drawn.
 */
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
