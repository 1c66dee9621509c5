/** Escaping for provider-supplied text (names, tags, owners) in each output format. */
import { safeLine } from '../../lib/safe-text.js';

export type ReportSink = (chunk: string) => Promise<void> | void;

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** For HTML text and attribute values; control characters are made visible first. */
export function escapeHtml(text: unknown): string {
  return safeLine(String(text ?? '')).replace(/[&<>"']/g, (c) => HTML[c] ?? c);
}

/**
 * Plain Markdown text (a table cell, a line): one line; HTML-significant characters as
 * entities, because most renderers pass raw HTML through; Markdown punctuation
 * backslash-escaped, then `|` as `\|`: a pipe after a doubled backslash (`\\|`) would end the
 * GFM table cell. A URL or an address in a provider name is not turned into a link (GFM
 * autolinks `https://`, `www.` and `a@b.c` in text).
 */
export function escapeMarkdownCell(text: unknown): string {
  return escapeHtml(text)
    .replace(/[\\`*_[\]~]/g, '\\$&')
    .replace(/\|/g, '\\|')
    .replace(/:\/\//g, '\\://')
    .replace(/(www)\./gi, '$1\\.')
    .replace(/@/g, '\\@');
}

/**
 * A Markdown code span (monospace, nothing inside is formatting). Its content is literal, so
 * nothing is backslash-escaped in it: the fence is one backtick longer than the longest run in
 * the text, padded with a space where the text starts or ends with a backtick. In a table cell
 * a pipe must still be `\|` (GFM splits the row into cells before it parses code spans, then
 * drops that backslash); a text with `\|` of its own cannot be written so, nor, by choice, one
 * with `<` or `>` (the Markdown source is pasted into places that are not Markdown): those are
 * written as escaped plain text instead.
 */
export function markdownCode(text: unknown, opts: { inTable: boolean } = { inTable: true }): string {
  let t = safeLine(String(text ?? ''));
  if (t === '') return '';
  if (/[<>]|\\\|/.test(t)) return escapeMarkdownCell(t);
  if (opts.inTable) t = t.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') || (t.startsWith(' ') && t.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

export function jsonLine(value: unknown): string {
  // U+2028/2029 are valid JSON but break some JavaScript embedders; < keeps a report safe in a <script>.
  return JSON.stringify(value).replace(
    /[\u2028\u2029<]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
