/**
 * Built-in privilege rules for Vault: a credential whose policies include `root` is
 * "policy:root"; one with any policy that grants the `sudo` capability is "policy:sudo".
 * Policies are read once per provider instance for a few minutes (they change rarely and
 * inventory asks about the same few names for thousands of tokens).
 */
import type { Logger } from 'pino';
import { dataOf, str } from './common.js';
import { encodePath, type VaultSession } from './session.js';

const CACHE_MS = 5 * 60_000;
const SUDO = /capabilities\s*=\s*\[[^\]]*["']sudo["']/;

export class PolicyHints {
  readonly #session: VaultSession;
  readonly #logger: Logger;
  readonly #cache = new Map<string, { sudo: Promise<boolean>; at: number }>();

  constructor(session: VaultSession, logger: Logger) {
    this.#session = session;
    this.#logger = logger;
  }

  async hintsFor(policies: readonly string[]): Promise<string[]> {
    const hints = new Set<string>();
    if (policies.includes('root')) hints.add('policy:root');
    const checks = await Promise.all(
      policies.filter((p) => p !== 'root' && p !== 'response-wrapping').map((p) => this.#grantsSudo(p)),
    );
    if (checks.some(Boolean)) hints.add('policy:sudo');
    return [...hints];
  }

  #grantsSudo(name: string): Promise<boolean> {
    const now = Date.now();
    const hit = this.#cache.get(name);
    if (hit && now - hit.at < CACHE_MS) return hit.sudo;
    const sudo = this.#session
      .read('read policy', { method: 'GET', path: `/sys/policy/${encodePath(name)}` })
      .then((body) => SUDO.test(str(dataOf(body).rules) ?? ''))
      .catch((error: unknown) => {
        // No read access to policies: no hint rather than a failed scan (said once per policy).
        this.#logger.debug(
          { policy: name, error: String(error) },
          'vault: policy not readable for sudo check',
        );
        return false;
      });
    this.#cache.set(name, { sudo, at: now });
    return sudo;
  }
}
