/**
 * The README and docs/*.md link to each other: every relative link must name a file that exists
 * and, with `#anchor`, a heading that the target has (GitHub's anchor rules), so moving a section
 * between pages cannot leave a dead link behind.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../example-config.js';
import { docFiles } from './markdown.js';

/** Markdown without its fenced code blocks and inline code (links there are not links). */
function prose(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const f = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (f && (fence === undefined || line.trim() === fence)) {
      fence = fence === undefined ? f : undefined;
      return '';
    }
    return fence === undefined ? line.replace(/`[^`]*`/g, '``') : '';
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (f && (fence === undefined || line.trim() === fence)) {
      fence = fence === undefined ? f : undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const slug = (h[1] as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

function links(file: string): Link[] {
  const out: Link[] = [];
  prose(readFileSync(join(REPO_ROOT, file), 'utf8')).forEach((text, i) => {
    for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1] as string;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      out.push({ file, line: i + 1, target });
    }
  });
  return out;
}

describe('links in README.md and docs/*.md', () => {
  const all = docFiles().flatMap(links);

  it('are found (README links into docs/, docs link back)', () => {
    expect(all.filter((l) => l.file === 'README.md' && l.target.startsWith('docs/')).length).toBeGreaterThan(
      10,
    );
    expect(all.some((l) => l.file.startsWith('docs/') && l.target.startsWith('../README.md'))).toBe(true);
  });

  it('point at files that exist and at headings those files have', () => {
    const problems: string[] = [];
    for (const { file, line, target } of all) {
      const [path = '', anchor] = target.split('#') as [string, string | undefined];
      const resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
      const abs = join(REPO_ROOT, resolved);
      if (!existsSync(abs)) {
        problems.push(`${file}:${line}: ${target}: no such file ${resolved}`);
        continue;
      }
      if (anchor === undefined || !resolved.endsWith('.md') || statSync(abs).isDirectory()) continue;
      if (!anchors(readFileSync(abs, 'utf8')).has(anchor))
        problems.push(`${file}:${line}: ${target}: ${resolved} has no heading #${anchor}`);
    }
    expect(problems).toEqual([]);
  });

  it('computes anchors the way GitHub does', () => {
    const a = anchors(
      '# Title\n## Approving offline, with keys owners already have\n### Vault / OpenBao\n## `state`\n## Title\n',
    );
    expect([...a]).toEqual([
      'title',
      'approving-offline-with-keys-owners-already-have',
      'vault--openbao',
      'state',
      'title-1',
    ]);
  });
});
