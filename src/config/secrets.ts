import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigProblem } from '../lib/errors.js';
import { SecretValue } from '../lib/secret.js';

/**
 * Resolve every `env:NAME` / `file:PATH` secret reference in a parsed config, in place.
 * File paths are relative to the config file's directory. Problems name the JSON path
 * and the reference, never a value.
 */
export function resolveSecretRefs(
  root: unknown,
  opts: { baseDir: string; env: NodeJS.ProcessEnv },
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const visit = (node: unknown, path: string): void => {
    if (node instanceof SecretValue) {
      if (node.resolved || node.source === undefined) return;
      const result = readReference(node.source, opts);
      if ('value' in result) node.resolveWith(result.value);
      else
        problems.push({
          path,
          message: result.problem,
          expected: 'a resolvable secret reference',
          found: node.source,
        });
      return;
    }
    if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) visit(child, `${path}[${i}]`);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) visit(child, path ? `${path}.${key}` : key);
    }
  };
  visit(root, '');
  return problems;
}

function readReference(
  source: string,
  opts: { baseDir: string; env: NodeJS.ProcessEnv },
): { value: string } | { problem: string } {
  if (source.startsWith('env:')) {
    const name = source.slice(4);
    const value = opts.env[name];
    if (value === undefined || value === '') return { problem: `environment variable ${name} is not set` };
    return { value };
  }
  const file = source.slice(5);
  const path = isAbsolute(file) ? file : resolve(opts.baseDir, file);
  try {
    const st = statSync(path);
    if (!st.isFile()) return { problem: `${path} is not a file` };
    const value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    if (value.length === 0) return { problem: `${path} is empty` };
    return { value };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { problem: `cannot read secret file ${path} (${code})` };
  }
}
