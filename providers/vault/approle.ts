/**
 * kind `approle`: locator `role` (all its secret-ids) or `role/accessor`. Versions are
 * secret-id accessors. New secret-ids are minted by Vault, response-wrapped and delivered
 * (delivery.ts); owners come from secret-id metadata, else from the role's identity entity
 * (docs/adr/013-vault-approle-owners.md). The Vault calls themselves are in approle-api.ts.
 */

import { mapConcurrent, ORDERED } from '../../src/lib/concurrency.js';
import { NotFoundError, ProviderError, UsageError } from '../../src/lib/errors.js';
import type {
  CredentialVersion,
  DerivedCredential,
  DerivedRevocation,
  IdentityRecord,
  RevokedVersion,
} from '../../src/provider.js';
import { createAppRoleApi, type SecretIdInfo } from './approle-api.js';
import { parseSelectors, revokeMintedTokens, SweepRefusedError, selectorOf } from './approle-minted.js';
import {
  baseRecord,
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
  prepareDelivery,
  readDelivery,
  verifyWrapped,
} from './delivery.js';
import type { KindAdapter, VaultKindContext } from './kind.js';

export function parseAppRoleLocator(locator: string): { role: string; accessor?: string } {
  const parts = locator.split('/');
  if (parts.length > 2 || !parts[0] || parts[1] === '') {
    throw new UsageError('approle locator must be <role> or <role>/<secret-id-accessor>');
  }
  return parts[1] ? { role: parts[0], accessor: parts[1] } : { role: parts[0] };
}

export function createAppRoleKind(ctx: VaultKindContext): KindAdapter {
  const { listRoles, lookup, readRole, secretIds, entityOwners, target, destroy } = createAppRoleApi(ctx);

  async function recordOf(locator: string, role: string, ids: SecretIdInfo[]): Promise<IdentityRecord> {
    const roleData = await readRole(role);
    const rec = baseRecord(ctx.instance, 'approle', locator);
    const newest = ids[0];
    rec.versions = ids.map(
      (s): CredentialVersion => ({
        id: s.accessor,
        state: 'enabled',
        // Every live secret-id can log in; all of them serve.
        current: true,
        ...(s.createdAt ? { createdAt: s.createdAt } : {}),
      }),
    );
    rec.owners = [...new Set(ids.flatMap((s) => ownersFrom(s.metadata, ctx.ownerTagKeys)))];
    if (rec.owners.length === 0) rec.owners = await entityOwners(role);
    if (newest) {
      rec.currentVersion = newest.accessor;
      rec.tags = visibleTags(newest.metadata);
      if (newest.createdAt) rec.lastRotatedAt = newest.createdAt;
      if (newest.expiresAt) rec.expiresAt = newest.expiresAt;
    }
    // The identity exists since its oldest live secret-id: a never-used one ages into dormancy.
    const created = ids
      .map((s) => s.createdAt)
      .filter((t): t is string => !!t)
      .sort();
    if (created[0]) rec.createdAt = created[0];
    const used = ids
      .map((s) => s.lastUpdatedAt)
      .filter((t): t is string => !!t)
      .sort();
    if (used.length > 0) rec.lastUsedAt = used[used.length - 1];
    if (ids.length > 0) {
      // last_updated_time moves on login (and on other writes): weak, but "never moved" is a signal too.
      rec.lastUsedSignal = 'secret_id.last_updated_time';
      rec.lastUsedConfidence = 'weak';
    }
    rec.derived = approleDerived(ctx.config.approle.mount, role, str(roleData.token_type));
    const policies = [...stringList(roleData.token_policies), ...stringList(roleData.policies)];
    const hints = await ctx.policies.hintsFor([...new Set(policies)]);
    if (hints.length > 0) rec.privilegeHints = hints;
    return rec;
  }

  const location = (role: string, runId: string) =>
    deliveryLocator(ctx.config.approle.deliveryPath, pathSegment(role), pathSegment(runId));

  return {
    revokeModes: ['destroy'],

    inventory(signal) {
      const roles = listRoles(signal);
      return mapConcurrent(
        filterNames(roles),
        ctx.concurrency,
        async (role) => recordOf(role, role, await secretIds(role)),
        ORDERED,
      );
    },

    async describe(locator) {
      const { role, accessor } = parseAppRoleLocator(locator);
      if (!accessor) return recordOf(locator, role, await secretIds(role));
      await readRole(role);
      const info = await lookup(role, accessor);
      if (!info) throw new NotFoundError(`vault approle secret-id ${locator} not found`);
      return recordOf(locator, role, [info]);
    },

    async revoke(locator, versionIds, step) {
      const { role, accessor } = parseAppRoleLocator(locator);
      if (accessor && versionIds.some((v) => v !== accessor)) {
        throw new UsageError(
          `approle revoke: ${locator} names one secret-id; versions must be [${accessor}]`,
        );
      }
      const where = deliveryPath(ctx, location(role, step.runId));
      const infos = new Map<string, SecretIdInfo>();
      for (const id of versionIds) {
        const info = await lookup(role, id);
        if (info) infos.set(id, info);
      }
      // Before anything is destroyed, keep what the reissue and the token sweep need: owners (the
      // metadata goes with the secret-id) and how to find each secret-id's login tokens. Written
      // once per run (check-and-set 0), so a resumed revoke reads the first attempt's record.
      const first = [...infos.values()][0];
      if (first) {
        const owners = ownerEntries(first.metadata, ctx.ownerTagKeys);
        const minted = [...infos.values()].map(selectorOf);
        await prepareDelivery(ctx, where, { owners, minted }, owners);
      }
      const out: RevokedVersion[] = [];
      for (const id of versionIds) {
        const status = infos.has(id) ? await destroy(role, id) : 'already-revoked';
        out.push({ versionId: id, status, revokedAt: ctx.now().toISOString() });
      }
      // Destroyed first, so no new login can slip in behind the sweep.
      const stashed = parseSelectors((await readDelivery(ctx, where))?.data.minted);
      const selectors = [...stashed, ...[...infos.values()].map(selectorOf)].filter((s) =>
        versionIds.includes(s.accessor),
      );
      const revoking = new Set(versionIds);
      const keepKeys = new Set(
        (await secretIds(role))
          .filter((s) => !revoking.has(s.accessor))
          .flatMap((s) => (s.metadata.nhi_idempotency_key ? [s.metadata.nhi_idempotency_key] : [])),
      );
      // Lineage and audit say what the sweep revoked, per revoked secret-id (ADR 016): a count
      // and the role, never a token accessor.
      const name = `auth/${ctx.config.approle.mount.replace(/^\/+|\/+$/g, '')}/role/${role}`;
      const swept = new Map(selectors.map((s) => [s.accessor, s]));
      const entry = (r: RevokedVersion, detail: string): DerivedRevocation => ({
        kind: 'vault-login-tokens',
        name,
        before: r.revokedAt,
        detail,
      });
      const unmatched = (r: RevokedVersion) =>
        entry(
          r,
          `no login tokens swept for secret-id ${r.versionId}: it was gone before this run recorded it, so its tokens cannot be told apart`,
        );
      let sweep: Awaited<ReturnType<typeof revokeMintedTokens>>;
      try {
        sweep = await revokeMintedTokens(ctx, role, selectors, keepKeys);
      } catch (error) {
        if (!(error instanceof SweepRefusedError)) throw error;
        // Fail closed (ADR 016): the owners signed that these tokens are revoked, and a stolen
        // secret-id's tokens may still work. The secret-ids stay destroyed; a resumed revoke reads
        // the selectors from the delivery record and sweeps again once the policy allows it.
        const partial = [...error.partial.values()].reduce((a, b) => a + b, 0);
        const derived = out.map((r) =>
          swept.has(r.versionId)
            ? entry(
                r,
                `could not reach the login tokens minted from secret-id ${r.versionId}: ${error.operation} was refused (HTTP 403, permission)`,
              )
            : unmatched(r),
        );
        ctx.logger.warn(
          { role, operation: error.operation, revokedBeforeRefusal: partial, derived },
          'vault approle: secret-ids destroyed, but the login tokens they minted could not be reached (permission denied)',
        );
        throw new ProviderError(
          `vault approle ${role}: secret-id(s) ${versionIds.join(', ')} destroyed, but the login tokens minted from them ` +
            `could not be reached: ${error.operation} was refused (HTTP 403; ${partial} token(s) revoked before that). ` +
            'The nhi Vault policy needs "list" and "sudo" on auth/token/accessors and "update" on ' +
            'auth/token/lookup-accessor and auth/token/revoke-accessor (the Vault / OpenBao policies in docs/providers.md); ' +
            'fix it, then resume the run: the revoke runs again and sweeps those tokens',
          { status: 403, retryable: false, cause: error.cause },
        );
      }
      ctx.logger.info(
        { role, tokens: Object.fromEntries(sweep.revoked) },
        'vault approle: revoked login tokens minted from the revoked secret-ids',
      );
      return out.map((r) => {
        const selector = swept.get(r.versionId);
        if (!selector) return { ...r, derived: [unmatched(r)] };
        const n = sweep.revoked.get(r.versionId) ?? 0;
        const since = selector.createdAt ? `created since ${selector.createdAt}` : 'of any age';
        const how = selector.nhiKey ? '' : ` (matched by creation time: tokens of role ${role} ${since})`;
        return {
          ...r,
          derived: [entry(r, `revoked ${n} login token(s) minted from secret-id ${r.versionId}${how}`)],
        };
      });
    },

    async reissue(locator, step) {
      if (step.generator.type !== 'provider') {
        throw new UsageError(
          'approle secret-ids are minted by Vault: the runbook generator must be {"type":"provider"}',
        );
      }
      const { role } = parseAppRoleLocator(locator);
      await readRole(role);
      const where = location(role, step.runId);
      const stashed = stringMap((await readDelivery(ctx, deliveryPath(ctx, where)))?.data.owners);
      const live = (await secretIds(role)).find((s) => ownersFrom(s.metadata, ctx.ownerTagKeys).length > 0);
      const owners = live ? ownerEntries(live.metadata, ctx.ownerTagKeys) : stashed;
      return issueWrapped(
        ctx,
        target(role),
        where,
        step.idempotencyKey,
        { ...owners, nhi_run_id: step.runId },
        owners,
        step.inFlight,
      );
    },

    findIssued(locator, key) {
      const { role } = parseAppRoleLocator(locator);
      return findWrapped(ctx, location(role, runIdOf(key)), key);
    },

    verify(locator, issued) {
      const { role } = parseAppRoleLocator(locator);
      return verifyWrapped(ctx, target(role), issuedLocation(issued), issued);
    },

    discard(locator, issued) {
      const { role } = parseAppRoleLocator(locator);
      return discardWrapped(ctx, target(role), issuedLocation(issued), issued);
    },
  };

  async function* filterNames(names: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const n of names) if (!refusesName(ctx.logger, 'approle', n) && !n.includes('/')) yield n;
  }
}

/** What recovery does about the tokens the secret-ids minted (approle-minted.ts, ADR 016). */
function approleDerived(mount: string, role: string, tokenType: string | undefined): DerivedCredential[] {
  const out: DerivedCredential[] = [
    {
      kind: 'approle-login-tokens',
      action: 'revoke',
      detail:
        `service tokens logged in at auth/${mount}/login with the revoked secret-id(s), and their children, are ` +
        'revoked by accessor after the secret-ids are destroyed: for secret-ids nhi issued, those carrying ' +
        `their nhi_idempotency_key; for others, every token of role ${role} created since the secret-id was ` +
        "(this can include tokens of the role's other non-nhi secret-ids)",
    },
  ];
  if (tokenType === 'batch' || tokenType === 'default-batch') {
    out.push({
      kind: 'approle-batch-tokens',
      action: 'out-of-reach',
      detail: `role ${role} issues batch tokens: Vault cannot list or revoke them; they live until their TTL ends`,
    });
  }
  out.push({
    kind: 'orphan-tokens',
    action: 'out-of-reach',
    detail:
      'orphan tokens created with a login token (create-orphan) and wrapped responses already unwrapped survive; review-activity and scans look for their use',
  });
  return out;
}

export function issuedLocation(issued: { delivery?: { location: string } }): string {
  if (!issued.delivery) throw new UsageError('this issued credential has no delivery location');
  return issued.delivery.location;
}
