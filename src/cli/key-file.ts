/**
 * `--key <file>`: an owner's or actor's Ed25519 private key, read once and checked before
 * anything else is opened (`nhi approve`/`deny`, and `nhi request`/`run`/`resume`).
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { toPrivateKey } from '../approval/decisions/decision-checks.js';
import { UsageError } from '../lib/errors.js';
import { SecretValue } from '../lib/secret.js';

/** The key in `file` as a KeyObject; a missing, readable-by-others or malformed file is a UsageError (exit 2). */
export function readPrivateKey(file: string): KeyObject {
  return toPrivateKey(readPrivateKeyFile(file));
}

/** The key file must be a regular file that only its owner can read (as ssh insists). */
export function readPrivateKeyFile(file: string): SecretValue {
  const path = resolve(file);
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`--key ${path} is not a file`);
    mode = st.mode;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read --key ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new UsageError(
      `--key ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); ` +
        `a private key must be private: chmod 600 ${path}`,
    );
  }
  try {
    return new SecretValue(readFileSync(path, 'utf8'), path);
  } catch (error) {
    throw new UsageError(`cannot read --key ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
