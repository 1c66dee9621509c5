/**
 * Issue 16: provider text in the Markdown report, rendered by a GFM parser as GitHub would.
 * For any text, a table cell written with markdownCode or escapeMarkdownCell stays one cell,
 * shows exactly the text (after safeLine), and never becomes HTML, a link or formatting.
 */
import fc from 'fast-check';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { describe, expect, it } from 'vitest';
import { safeLine } from '../../src/lib/safe-text.js';
import { escapeMarkdownCell, markdownCode } from '../../src/scan/report/escape.js';

const gfmHtmlOf = (md: string) =>
  micromark(md, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });

/** The one body cell of a two-column table whose first cell is `cell`. */
function renderCell(cell: string): { cells: number; html: string } {
  const html = gfmHtmlOf(`| h | i |\n| --- | --- |\n| ${cell} | z |\n`);
  const row = html.match(/<tbody>\s*<tr>([\s\S]*?)<\/tr>/)?.[1] ?? '';
  const tds = [...row.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => m[1] ?? '');
  return { cells: tds.length, html: tds[0] ?? '' };
}

const decode = (html: string) =>
  html
    .replace(/<\/?code>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

const tricky = fc.string({
  unit: fc.constantFrom(
    ...'ab |\\`*_[]~<>&"\':/.@w#!()-=\u202e\n\t'.split(''),
    'www.',
    'https://',
    '&amp;',
    '&#124;',
  ),
  maxLength: 40,
});
const text = fc.oneof(tricky, fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));

describe('Markdown escaping of provider text (GFM)', () => {
  it.each([
    ['markdownCode', (s: string) => markdownCode(s)],
    ['escapeMarkdownCell', (s: string) => escapeMarkdownCell(s)],
  ])('%s: one cell, the exact text, no HTML and no link', (_name, write) => {
    fc.assert(
      fc.property(text, (s) => {
        const { cells, html } = renderCell(write(s));
        expect(cells).toBe(2);
        // Only a code element may appear; no tag from the text, no <a>, no <em>/<strong>/<del>.
        expect(html.replace(/<\/?code>/g, '')).not.toMatch(/</);
        expect(decode(html).trim()).toBe(safeLine(s).trim());
      }),
      { numRuns: 400 },
    );
  });

  it('refs are code spans without backslash escapes; names with "\\|", "<" or ">" fall back to plain text', () => {
    expect(markdownCode('aws:secret:a_b*c')).toBe('`aws:secret:a_b*c`');
    expect(markdownCode('a|b')).toBe('`a\\|b`');
    expect(markdownCode('a`b')).toBe('``a`b``');
    expect(markdownCode('a|b', { inTable: false })).toBe('`a|b`');
    expect(markdownCode('x\\|y')).toBe(escapeMarkdownCell('x\\|y'));
    expect(markdownCode('<b>')).toBe('&lt;b&gt;');
    expect(escapeMarkdownCell('see https://e.example or www.e.example, a@b.c')).toBe(
      'see https\\://e.example or www\\.e.example, a\\@b.c',
    );
  });
});
