/** Escaping for provider-supplied text (names, tags, owners) in each output format. */
import { safeLine } from '../../lib/text.js';

export type ReportSink = (chunk: string) => Promise<void> | void;

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** For HTML text and attribute values; control characters are made visible first. */
export function escapeHtml(text: unknown): string {
  return safeLine(String(text ?? '')).replace(/[&<>"']/g, (c) => HTML[c] ?? c);
}

/**
 * For a Markdown table cell: one line, pipes escaped, and HTML-significant characters as
 * entities, because most Markdown renderers pass raw HTML through.
 */
export function escapeMarkdownCell(text: unknown): string {
  return escapeHtml(text)
    .replace(/\|/g, '\\|')
    .replace(/([\\`*_[\]])/g, '\\$1');
}

export function jsonLine(value: unknown): string {
  // U+2028/2029 are valid JSON but break some JavaScript embedders; < keeps a report safe in a <script>.
  return JSON.stringify(value).replace(
    /[\u2028\u2029<]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
