/**
 * config.example.json and the examples/ it points at, copied verbatim into a scratch directory
 * with the private files at mode 0600. git does not keep file modes, so after a clone
 * examples/keys/*.key are 0644, and nhi refuses an audit signing or fingerprint key that group
 * or others can read (the user's fix is `chmod 600`; tests do the same on a copy).
 */
import { chmodSync, copyFileSync, cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function exampleCopy(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-example-'));
  copyFileSync(join(REPO_ROOT, 'config.example.json'), join(dir, 'config.example.json'));
  cpSync(join(REPO_ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
  // Private keys 0600; public keys 0644 whatever the umask of the checkout (0664 would be warned about).
  for (const f of readdirSync(join(dir, 'examples', 'keys')))
    chmodSync(join(dir, 'examples', 'keys', f), f.endsWith('.key') ? 0o600 : 0o644);
  for (const f of readdirSync(join(dir, 'examples', 'secrets')))
    chmodSync(join(dir, 'examples', 'secrets', f), 0o600);
  return { dir, config: join(dir, 'config.example.json') };
}
