import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigProblem } from '../lib/errors.js';
import { own } from '../lib/own.js';
import { SecretValue } from '../lib/secret.js';

/**
 * Secret fields whose `file:` must be private to its owner (no group or other bits), as ssh
 * insists for its keys: the audit signing key (whoever reads it can forge signed checkpoints)
 * and the fingerprint key (whoever reads it can test guesses of a secret against the store).
 */
export const PRIVATE_FILE_FIELDS: ReadonlySet<string> = new Set(['keys.auditSigning', 'keys.fingerprint']);

/** Mode bits as 4 octal digits (0644). */
export function octalMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

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
      const result = readReference(node.source, { ...opts, private: PRIVATE_FILE_FIELDS.has(path) });
      if ('value' in result) node.resolveWith(result.value);
      else
        problems.push({
          path,
          message: result.problem,
          expected: result.expected ?? 'a resolvable secret reference',
          found: result.found ?? node.source,
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
  opts: { baseDir: string; env: NodeJS.ProcessEnv; private: boolean },
): { value: string } | { problem: string; expected?: string; found?: string } {
  if (source.startsWith('env:')) {
    const name = source.slice(4);
    // Own entries only: `env:constructor` must not resolve to Object.prototype.constructor.
    const value = own(opts.env, name);
    if (typeof value !== 'string' || value === '')
      return { problem: `environment variable ${name} is not set` };
    return { value };
  }
  const file = source.slice(5);
  const path = isAbsolute(file) ? file : resolve(opts.baseDir, file);
  try {
    const st = statSync(path);
    if (!st.isFile()) return { problem: `${path} is not a file` };
    if (opts.private && process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      return {
        problem: `${path} is accessible by group or others (mode ${octalMode(st.mode)}); this key must be private to its owner: chmod 600 ${path}`,
        expected: 'a file only its owner can read or write (mode 0600 or 0400)',
        found: `mode ${octalMode(st.mode)}`,
      };
    }
    const value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    if (value.length === 0) return { problem: `${path} is empty` };
    return { value };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { problem: `cannot read secret file ${path} (${code})` };
  }
}
