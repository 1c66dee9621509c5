/**
 * docs/providers.md shows the least-privilege policies of docs/examples/ byte for byte: each
 * block marked `<!-- include: examples/FILE -->` must equal that file, and every policy file
 * there must be included, so the page and the files cannot drift apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../example-config.js';
import { codeBlocks } from './markdown.js';

const MARKER = /^<!-- include: (examples\/[\w.-]+) -->$/;
const included = codeBlocks('docs/providers.md').flatMap((b) => {
  const m = MARKER.exec(b.before.trim());
  return m ? [{ file: m[1] as string, block: b }] : [];
});
const policyFiles = readdirSync(join(REPO_ROOT, 'docs', 'examples'))
  .filter((f) => /\.(json|hcl)$/.test(f))
  .filter((f) => f !== 'real-providers.json') // the nhi config, checked by documented-commands.test.ts
  .map((f) => `examples/${f}`)
  .sort();

describe('docs/providers.md includes the policy files of docs/examples/', () => {
  it('includes every policy file (AWS, Vault, Azure), each once', () => {
    expect(included.map((i) => i.file).sort()).toEqual(policyFiles);
    expect(policyFiles.length).toBeGreaterThanOrEqual(5);
  });

  it.each(included.map((i) => [i.file, i.block] as const))(
    '%s: the block is the file, byte for byte',
    (file, block) => {
      expect(block.text).toBe(readFileSync(join(REPO_ROOT, 'docs', file), 'utf8'));
      expect(block.lang).toBe(file.endsWith('.hcl') ? 'hcl' : 'json');
    },
  );

  it('has no policy block without an include marker', () => {
    const policyLike = codeBlocks('docs/providers.md').filter(
      (b) => (b.lang === 'hcl' || /"(Statement|DataActions)"/.test(b.text)) && !MARKER.test(b.before.trim()),
    );
    expect(policyLike.map((b) => `docs/providers.md:${b.line}`)).toEqual([]);
  });
});
