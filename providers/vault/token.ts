/**
 * kind `token`: locator = token accessor; one version (the accessor). Revoked tokens vanish,
 * so revoke first stashes a template (policies, role, TTLs, owners) in the run's delivery
 * record; reissue mints an orphan token from the live token or that template, wrapped and
 * delivered like AppRole secret-ids (docs/adr/014-vault-tokens.md).
 */

import { mapConcurrent, ORDERED } from '../../src/lib/concurrency.js';
import { NotFoundError, ProviderError, UsageError } from '../../src/lib/errors.js';
import type { DerivedCredential, DerivedRevocation, IdentityRecord } from '../../src/provider.js';
import { issuedLocation } from './approle.js';
import {
  asObj,
  baseRecord,
  dataOf,
  escapeText,
  isoTime,
  ownerEntries,
  ownersFrom,
  pathSegment,
  refusesName,
  runIdOf,
  str,
  stringList,
  stringMap,
  visibleTags,
} from './common.js';
import {
  deliveryLocator,
  deliveryPath,
  discardWrapped,
  findWrapped,
  issueWrapped,
  parseWrapInfo,
  prepareDelivery,
  readDelivery,
  verifyWrapped,
  type WrappedTarget,
} from './delivery.js';
import type { KindAdapter, VaultKindContext } from './kind.js';
import { encodePath } from './session.js';

/** What is needed to mint a like-for-like token. No secret in it. */
export interface TokenTemplate {
  policies: string[];
  role?: string;
  ttlSeconds: number;
  explicitMaxTtlSeconds: number;
  periodSeconds: number;
  numUses: number;
  displayName?: string;
  renewable: boolean;
}

interface TokenInfo {
  accessor: string;
  data: Record<string, unknown>;
  meta: Record<string, string>;
}

const num = (v: unknown) => (typeof v === 'number' && v > 0 ? v : 0);

export function templateOf(d: Record<string, unknown>): TokenTemplate {
  const display = str(d.display_name)?.replace(/^token-?/, '');
  const role = str(d.role);
  return {
    policies: stringList(d.policies),
    ttlSeconds: num(d.creation_ttl),
    explicitMaxTtlSeconds: num(d.explicit_max_ttl),
    periodSeconds: num(d.period),
    numUses: num(d.num_uses),
    renewable: d.renewable !== false,
    ...(role ? { role } : {}),
    ...(display ? { displayName: display } : {}),
  };
}

function parseTemplate(raw: unknown): TokenTemplate | undefined {
  const t = asObj(raw);
  return Array.isArray(t.policies) ? (t as unknown as TokenTemplate) : undefined;
}

/** revoke-accessor revokes the whole token tree below this token (ADR 016). */
const TOKEN_DERIVED: DerivedCredential[] = [
  {
    kind: 'child-tokens',
    action: 'revoke',
    detail: 'revoke-accessor also revokes every child token this token created, and their children',
  },
  {
    kind: 'orphan-tokens',
    action: 'out-of-reach',
    detail:
      'orphan tokens this token created (create-orphan, or token roles with orphan=true) and batch tokens are not in its tree and survive; review-activity and scans look for their use',
  },
];

export function createTokenKind(ctx: VaultKindContext): KindAdapter {
  const { session } = ctx;
  const base =
    ctx.config.token.deliveryPath ?? `${ctx.config.approle.deliveryPath.replace(/\/+$/, '')}/token`;
  const wrapTtl = ctx.config.token.wrapTtlSeconds ?? ctx.config.approle.wrapTtlSeconds;
  const location = (runId: string) => deliveryLocator(base, pathSegment(runId));

  async function lookup(accessor: string): Promise<TokenInfo | undefined> {
    try {
      const d = dataOf(
        await session.read('lookup token accessor', {
          method: 'POST',
          path: '/auth/token/lookup-accessor',
          json: { accessor },
        }),
      );
      return { accessor, data: d, meta: stringMap(d.meta) };
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      if (error instanceof ProviderError && error.status === 400 && /invalid accessor/i.test(error.message))
        return undefined;
      throw error;
    }
  }

  async function recordOf(info: TokenInfo): Promise<IdentityRecord> {
    const d = info.data;
    const rec = baseRecord(ctx.instance, 'token', info.accessor);
    const display = str(d.display_name);
    if (display) rec.name = escapeText(display);
    const createdAt = isoTime(d.issue_time) ?? isoTime(d.creation_time);
    const expiresAt = isoTime(d.expire_time);
    const renewed = isoTime(d.last_renewal_time);
    rec.owners = ownersFrom(info.meta, ctx.ownerTagKeys);
    rec.tags = visibleTags(info.meta);
    rec.currentVersion = info.accessor;
    rec.versions = [
      { id: info.accessor, state: 'enabled', current: true, ...(createdAt ? { createdAt } : {}) },
    ];
    if (createdAt) rec.createdAt = createdAt;
    if (createdAt) rec.lastRotatedAt = createdAt;
    if (expiresAt) rec.expiresAt = expiresAt;
    if (renewed) {
      rec.lastUsedAt = renewed;
      rec.lastUsedSignal = 'token.last_renewal_time';
      rec.lastUsedConfidence = 'weak';
    }
    const hints = await ctx.policies.hintsFor(stringList(d.policies));
    if (hints.length > 0) rec.privilegeHints = hints;
    rec.derived = TOKEN_DERIVED;
    return rec;
  }

  /** Response-wrapping tokens are transient envelopes, not identities. */
  const isWrappingToken = (info: TokenInfo) => {
    const policies = stringList(info.data.policies);
    return policies.length === 1 && policies[0] === 'response-wrapping';
  };

  async function* accessors(signal?: AbortSignal): AsyncGenerator<string> {
    for await (const a of session.listKeys('list token accessors', '/auth/token/accessors', 500, signal)) {
      if (!refusesName(ctx.logger, 'token', a)) yield a;
    }
  }

  function target(template: TokenTemplate): WrappedTarget {
    return {
      label: 'vault token',
      async create(meta) {
        const withoutDefault = template.policies.filter((p) => p !== 'default');
        const json: Record<string, unknown> = {
          policies: withoutDefault,
          no_default_policy: !template.policies.includes('default'),
          meta,
          renewable: template.renewable,
          ...(template.ttlSeconds ? { ttl: `${template.ttlSeconds}s` } : {}),
          ...(template.explicitMaxTtlSeconds
            ? { explicit_max_ttl: `${template.explicitMaxTtlSeconds}s` }
            : {}),
          ...(template.periodSeconds ? { period: `${template.periodSeconds}s` } : {}),
          ...(template.numUses ? { num_uses: template.numUses } : {}),
          ...(template.displayName ? { display_name: template.displayName } : {}),
        };
        // Orphans: a child of the adapter's own (possibly short-lived login) token would die with it.
        const path = template.role
          ? `/auth/token/create/${encodePath(template.role)}`
          : '/auth/token/create-orphan';
        const body = await session.write(
          'create token',
          { method: 'POST', path, headers: { 'X-Vault-Wrap-TTL': `${wrapTtl}s` }, json },
          { replayable: false },
        );
        return parseWrapInfo(body, ctx.now());
      },
      async findByKey(key) {
        const found: string[] = [];
        for await (const info of mapConcurrent(accessors(), ctx.concurrency, lookup, ORDERED)) {
          if (info?.meta.nhi_idempotency_key === key) found.push(info.accessor);
        }
        return found;
      },
      async exists(accessor) {
        return (await lookup(accessor)) !== undefined;
      },
      async destroy(accessor) {
        await session.write('revoke token accessor', {
          method: 'POST',
          path: '/auth/token/revoke-accessor',
          json: { accessor },
        });
      },
    };
  }

  const anyTemplate: TokenTemplate = {
    policies: [],
    ttlSeconds: 0,
    explicitMaxTtlSeconds: 0,
    periodSeconds: 0,
    numUses: 0,
    renewable: true,
  };

  return {
    revokeModes: ['revoke-accessor'],

    inventory(signal) {
      const records = mapConcurrent(accessors(signal), ctx.concurrency, async (a) => {
        const info = await lookup(a);
        return info && !isWrappingToken(info) ? recordOf(info) : undefined;
      });
      return (async function* () {
        for await (const r of records) if (r) yield r;
      })();
    },

    async describe(locator) {
      const info = await lookup(locator);
      if (!info) throw new NotFoundError(`vault token accessor ${locator} not found`);
      return recordOf(info);
    },

    async revoke(locator, versionIds, step) {
      if (versionIds.some((v) => v !== locator)) {
        throw new UsageError(`token revoke: the only version of ${locator} is the accessor itself`);
      }
      const info = await lookup(locator);
      const revokedAt = ctx.now().toISOString();
      const where = deliveryPath(ctx, location(step.runId));
      // revoke-accessor takes the token's whole tree with it (ADR 016); lineage says so. Vault
      // does not say how many children there were, and lists no parent to count them by.
      const children = (detail: string): DerivedRevocation[] => [
        { kind: 'vault-child-tokens', name: locator, before: revokedAt, detail },
      ];
      if (!info) {
        // Gone already. If this run's earlier attempt stashed the template, that attempt revoked
        // it (a resumed step): the tree went with it.
        const ours = parseTemplate((await readDelivery(ctx, where))?.data.template) !== undefined;
        return versionIds.map((versionId) => ({
          versionId,
          status: 'already-revoked',
          revokedAt,
          ...(ours
            ? {
                derived: children(
                  'revoke-accessor (by an earlier attempt of this step) revoked the token and every non-orphan child token below it',
                ),
              }
            : {}),
        }));
      }
      const owners = ownerEntries(info.meta, ctx.ownerTagKeys);
      await prepareDelivery(ctx, where, { template: templateOf(info.data), owners }, owners);
      await target(anyTemplate).destroy(locator);
      return versionIds.map((versionId) => ({
        versionId,
        status: 'revoked',
        revokedAt,
        derived: children('revoke-accessor revoked the token and every non-orphan child token below it'),
      }));
    },

    async reissue(locator, step) {
      if (step.generator.type !== 'provider') {
        throw new UsageError(
          'vault tokens are minted by Vault: the runbook generator must be {"type":"provider"}',
        );
      }
      const where = location(step.runId);
      const live = await lookup(locator);
      const stashed = live ? undefined : (await readDelivery(ctx, deliveryPath(ctx, where)))?.data;
      const template = live ? templateOf(live.data) : parseTemplate(stashed?.template);
      if (!template) {
        throw new ProviderError(
          `vault token ${locator} is gone and no template was kept by a revoke in this run`,
        );
      }
      const owners = live ? ownerEntries(live.meta, ctx.ownerTagKeys) : stringMap(stashed?.owners);
      return issueWrapped(
        ctx,
        target(template),
        where,
        step.idempotencyKey,
        { ...owners, nhi_run_id: step.runId },
        owners,
        step.inFlight,
      );
    },

    findIssued(_locator, key) {
      return findWrapped(ctx, location(runIdOf(key)), key);
    },

    verify(_locator, issued) {
      return verifyWrapped(ctx, target(anyTemplate), issuedLocation(issued), issued);
    },

    discard(_locator, issued) {
      return discardWrapped(ctx, target(anyTemplate), issuedLocation(issued), issued);
    },
  };
}
