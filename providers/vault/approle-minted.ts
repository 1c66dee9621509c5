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
import { mapConcurrent, ORDERED } from '../../src/lib/concurrency.js';
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

const SWEEP_OPERATION = /^vault (list token accessors|lookup token accessor|revoke minted token) /;

/** What a sweep did: login tokens revoked per revoked secret-id accessor. No token accessor in it. */
export interface MintedSweep {
  revoked: Map<string, number>;
}

/**
 * The sweep was refused (HTTP 403): the adapter's policy lacks `sudo` on `auth/token/accessors`
 * or `update` on `auth/token/lookup-accessor` / `revoke-accessor`. Tokens minted from the
 * revoked secret-ids may still work. `partial` is what was revoked before the refusal.
 */
export class SweepRefusedError extends ProviderError {
  readonly partial: Map<string, number>;
  readonly operation: string;
  constructor(operation: string, partial: Map<string, number>, cause: ProviderError) {
    super(`vault ${operation} refused (HTTP 403)`, { status: 403, retryable: false, cause });
    this.name = 'SweepRefusedError';
    this.partial = partial;
    this.operation = operation;
  }
}

/**
 * Revoke every live login token of `role` minted from the revoked secret-ids. `keepKeys`: the
 * nhi keys of the role's secret-ids that stay live (their tokens are not the attacker's).
 * Returns how many tokens were revoked for each revoked secret-id: a token carrying an nhi key
 * counts for that secret-id; any other (a foreign secret-id's, matched by creation time: the
 * token does not name its secret-id) for the newest foreign secret-id created at or before it.
 * Throws SweepRefusedError on a 403 from any call of the sweep.
 */
export async function revokeMintedTokens(
  ctx: VaultKindContext,
  role: string,
  revoked: readonly MintedSelector[],
  keepKeys: ReadonlySet<string>,
): Promise<MintedSweep> {
  const counts = new Map<string, number>(revoked.map((s) => [s.accessor, 0]));
  if (revoked.length === 0) return { revoked: counts };
  const loginPath = `auth/${ctx.config.approle.mount.replace(/^\/+|\/+$/g, '')}/login`;
  const byKey = new Map(revoked.flatMap((s) => (s.nhiKey ? [[s.nhiKey, s.accessor] as const] : [])));
  // Foreign secret-ids, newest first: creation times are whole seconds in token lookups.
  const foreign = revoked
    .filter((s) => !s.nhiKey)
    .map((s) => ({
      accessor: s.accessor,
      sinceMs: s.createdAt ? Math.floor(Date.parse(s.createdAt) / 1000) * 1000 : 0,
    }))
    .sort((a, b) => b.sinceMs - a.sinceMs);

  /** The revoked secret-id this token was minted from, if any. */
  const minterOf = (t: LoginToken): string | undefined => {
    if (t.meta.role_name !== role) return undefined;
    const key = t.meta.nhi_idempotency_key;
    if (key && byKey.has(key)) return byKey.get(key);
    if (foreign.length === 0) return undefined;
    if (key && keepKeys.has(key)) return undefined;
    return foreign.find((f) => t.createdMs >= f.sinceMs)?.accessor;
  };

  try {
    const accessors = ctx.session.listKeys('list token accessors', '/auth/token/accessors', 500);
    const tokens = mapConcurrent(accessors, ctx.concurrency, (a) => loginToken(ctx, a, loginPath), ORDERED);
    for await (const t of tokens) {
      const minter = t && minterOf(t);
      if (!t || !minter) continue;
      try {
        await ctx.session.write('revoke minted token', {
          method: 'POST',
          path: '/auth/token/revoke-accessor',
          json: { accessor: t.accessor },
        });
        counts.set(minter, (counts.get(minter) ?? 0) + 1);
      } catch (error) {
        // Expired or revoked meanwhile: the goal holds.
        if (!(error instanceof ProviderError && error.status === 400)) throw error;
      }
    }
  } catch (error) {
    if (error instanceof ProviderError && error.status === 403) {
      const op = SWEEP_OPERATION.exec(error.message)?.[1] ?? 'token sweep';
      throw new SweepRefusedError(op, counts, error);
    }
    throw error;
  }
  return { revoked: counts };
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
