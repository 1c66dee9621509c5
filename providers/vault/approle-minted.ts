/**
 * Tokens minted by logging in with an AppRole secret-id outlive the secret-id: destroying the
 * secret-id stops new logins only. AppRole copies the secret-id's metadata into the login
 * token's `meta` and adds `role_name`, so (docs/adr/016-vault-derived-credentials.md):
 * - a secret-id nhi issued carries `nhi_idempotency_key`, and so do exactly its tokens;
 * - for any other secret-id, the tokens of the role (`meta.role_name`, path `auth/<mount>/login`)
 *   created since that secret-id was, minus those that carry another live nhi secret-id's key.
 * Found by walking `auth/token/accessors` (needs `sudo` there) and revoked by accessor, which
 * also revokes their children. Batch tokens are not listed anywhere: out of reach.
 */
import { mapConcurrent } from '../../src/lib/concurrency.js';
import { NotFoundError, ProviderError } from '../../src/lib/errors.js';
import type { SecretIdInfo } from './approle-api.js';
import { asObj, dataOf, isoTime, str, stringMap } from './common.js';
import type { VaultKindContext } from './kind.js';

/** What identifies one revoked secret-id's tokens. No secret in it: kept in the run's delivery record. */
export interface MintedSelector {
  accessor: string;
  createdAt?: string;
  /** nhi_idempotency_key of a secret-id nhi issued. */
  nhiKey?: string;
}

export function selectorOf(info: SecretIdInfo): MintedSelector {
  const nhiKey = info.metadata.nhi_idempotency_key;
  return {
    accessor: info.accessor,
    ...(info.createdAt ? { createdAt: info.createdAt } : {}),
    ...(nhiKey ? { nhiKey } : {}),
  };
}

export function parseSelectors(raw: unknown): MintedSelector[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((x) => {
    const o = asObj(x);
    const accessor = str(o.accessor);
    if (!accessor) return [];
    const createdAt = str(o.createdAt);
    const nhiKey = str(o.nhiKey);
    return [{ accessor, ...(createdAt ? { createdAt } : {}), ...(nhiKey ? { nhiKey } : {}) }];
  });
}

interface LoginToken {
  accessor: string;
  meta: Record<string, string>;
  createdMs: number;
}

/**
 * Revoke every live login token of `role` minted from the revoked secret-ids. `keepKeys`: the
 * nhi keys of the role's secret-ids that stay live (their tokens are not the attacker's).
 * Returns how many tokens were revoked.
 */
export async function revokeMintedTokens(
  ctx: VaultKindContext,
  role: string,
  revoked: readonly MintedSelector[],
  keepKeys: ReadonlySet<string>,
): Promise<number> {
  if (revoked.length === 0) return 0;
  const loginPath = `auth/${ctx.config.approle.mount.replace(/^\/+|\/+$/g, '')}/login`;
  const nhiKeys = new Set(revoked.flatMap((s) => (s.nhiKey ? [s.nhiKey] : [])));
  // Foreign secret-ids: creation times are whole seconds in token lookups.
  const foreignSince = revoked
    .filter((s) => !s.nhiKey)
    .map((s) => (s.createdAt ? Math.floor(Date.parse(s.createdAt) / 1000) * 1000 : 0));
  const since = foreignSince.length > 0 ? Math.min(...foreignSince) : undefined;

  const mintedByRevoked = (t: LoginToken): boolean => {
    if (t.meta.role_name !== role) return false;
    const key = t.meta.nhi_idempotency_key;
    if (key && nhiKeys.has(key)) return true;
    if (since === undefined) return false;
    if (key && keepKeys.has(key)) return false;
    return t.createdMs >= since;
  };

  let count = 0;
  const accessors = ctx.session.listKeys('list token accessors', '/auth/token/accessors', 500);
  const tokens = mapConcurrent(accessors, ctx.concurrency, (a) => loginToken(ctx, a, loginPath));
  for await (const t of tokens) {
    if (!t || !mintedByRevoked(t)) continue;
    try {
      await ctx.session.write('revoke minted token', {
        method: 'POST',
        path: '/auth/token/revoke-accessor',
        json: { accessor: t.accessor },
      });
      count++;
    } catch (error) {
      // Expired or revoked meanwhile: the goal holds.
      if (!(error instanceof ProviderError && error.status === 400)) throw error;
    }
  }
  return count;
}

async function loginToken(
  ctx: VaultKindContext,
  accessor: string,
  loginPath: string,
): Promise<LoginToken | undefined> {
  try {
    const d = dataOf(
      await ctx.session.read('lookup token accessor', {
        method: 'POST',
        path: '/auth/token/lookup-accessor',
        json: { accessor },
      }),
    );
    if (str(d.path) !== loginPath) return undefined;
    const created = isoTime(d.creation_time) ?? isoTime(d.issue_time);
    return { accessor, meta: stringMap(d.meta), createdMs: created ? Date.parse(created) : 0 };
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    if (error instanceof ProviderError && error.status === 400) return undefined;
    throw error;
  }
}
