/**
 * kind `kv`: KV v2 secrets, locator `mount/path`. Versions are KV versions. Reissue keeps the
 * fields named non-secret and regenerates every other one (kv-fields.ts), written with check-and-set; the
 * idempotency key and the version it will create are recorded in custom_metadata first, so a
 * lost response cannot produce a second version (docs/adr/011-vault-kv-idempotency.md). Revoke
 * first keeps the non-secret fields in custom_metadata for that reissue (kv-carry.ts, ADR 015).
 */

import { canonicalJson } from '../../src/lib/canonical.js';
import { mapConcurrent, ORDERED } from '../../src/lib/concurrency.js';
import { ConflictError, NotFoundError, UsageError } from '../../src/lib/errors.js';
import { sameFingerprint } from '../../src/lib/fingerprint.js';
import { generateSecret } from '../../src/lib/generator.js';
import { own } from '../../src/lib/own.js';
import { scrubError } from '../../src/lib/scrub.js';
import type { SecretValue } from '../../src/lib/secret.js';
import type {
  DescribeOptions,
  FieldPlan,
  IdentityRecord,
  IssuedCredential,
  RevokedVersion,
  VersionState,
} from '../../src/provider.js';
import { consumerCopies } from '../../src/provider-derived.js';
import { baseRecord, ownersFrom, refusesName, visibleTags } from './common.js';
import type { KindAdapter, VaultKindContext } from './kind.js';
import {
  isCasMismatch,
  isDeleted,
  type KvMetadata,
  type KvPath,
  kvVersionsAction,
  patchKvCustomMetadata,
  readKvData,
  readKvMetadata,
  splitKvLocator,
  writeKvData,
} from './kv-api.js';
import {
  CARRY_KEY,
  carryToRecord,
  dropCarry,
  ISSUE_FIELDS,
  ISSUE_KEY,
  keptForReissue,
  secretFieldsOf,
} from './kv-carry.js';
import { kvFieldParams, planKvFields, plannedFields } from './kv-fields.js';
import { encodePath } from './session.js';

/** One secret field: HMAC of its value. Several: HMAC of the canonical JSON of those fields. */
export function kvFingerprint(
  fp: VaultKindContext['fingerprint'],
  data: Record<string, unknown>,
  fields: readonly string[],
): string | undefined {
  const text = (v: unknown) => (typeof v === 'string' ? v : canonicalJson(v ?? null));
  if (fields.length === 1) {
    const only = own(data, fields[0] as string);
    return only === undefined ? undefined : fp(text(only));
  }
  return fp(canonicalJson(Object.fromEntries(fields.map((f) => [f, text(own(data, f))]))));
}

export function createKvKind(ctx: VaultKindContext): KindAdapter {
  const { session, logger } = ctx;
  const locate = (locator: string) => splitKvLocator(locator, ctx.config.kv.mounts);

  const versionState = (v: KvMetadata['versions'][number]): VersionState =>
    v.destroyed ? 'destroyed' : isDeleted(v, ctx.now()) ? 'deleted' : 'enabled';

  function recordOf(locator: string, meta: KvMetadata): IdentityRecord {
    const rec = baseRecord(ctx.instance, 'kv', locator);
    const current = meta.versions.find((v) => v.version === meta.currentVersion);
    rec.state = !current || versionState(current) !== 'enabled' ? 'deleted' : 'enabled';
    rec.owners = ownersFrom(meta.custom, ctx.ownerTagKeys);
    rec.tags = visibleTags(meta.custom);
    rec.currentVersion = String(meta.currentVersion);
    rec.versions = meta.versions.map((v) => ({
      id: String(v.version),
      state: versionState(v),
      current: v.version === meta.currentVersion,
      ...(v.createdAt ? { createdAt: v.createdAt } : {}),
    }));
    if (meta.createdTime) rec.createdAt = meta.createdTime;
    if (current?.createdAt) rec.lastRotatedAt = current.createdAt;
    // KV has no last-read signal, and an undelete leaves no trace in metadata (ADR 011).
    rec.lastUsedConfidence = 'none';
    return rec;
  }

  async function* walk(mount: string, prefix: string, signal?: AbortSignal): AsyncGenerator<string> {
    const listPath = `/${encodePath(mount)}/metadata/${encodePath(prefix)}`;
    for await (const key of session.listKeys('list kv', listPath, 500, signal)) {
      if (refusesName(logger, 'kv', `${mount}/${prefix}${key}`)) continue;
      if (key.endsWith('/')) yield* walk(mount, `${prefix}${key}`, signal);
      else yield `${mount}/${prefix}${key}`;
    }
  }

  async function* allLocators(signal?: AbortSignal): AsyncGenerator<string> {
    for (const mount of ctx.config.kv.mounts) yield* walk(mount.replace(/^\/+|\/+$/g, ''), '', signal);
  }

  async function issuedFromMetadata(
    p: KvPath,
    meta: KvMetadata,
    key: string,
  ): Promise<IssuedCredential | undefined> {
    const recorded = meta.custom[ISSUE_KEY];
    if (!recorded?.startsWith(`${key}@`)) return undefined;
    const version = Number(recorded.slice(key.length + 1));
    const v = meta.versions.find((x) => x.version === version);
    if (!v) return undefined;
    const data = await readKvData(session, p, version);
    const fingerprint =
      data && kvFingerprint(ctx.fingerprint, data, secretFieldsOf(data, meta.custom[ISSUE_FIELDS]));
    return {
      versionId: String(version),
      // A version destroyed since cannot be read; an empty fingerprint never verifies.
      fingerprint: fingerprint ?? '',
      issuedAt: v.createdAt ?? ctx.now().toISOString(),
      status: 'already-issued',
    };
  }

  /**
   * What this reissue regenerates and keeps: the approved plan's decisions; for plans made before
   * they existed, the runbook's `fields`, else the carry's secret field names (an older carry may
   * hold values the plan of its run kept: they are written to the new version, never back into
   * metadata), else every field not named non-secret.
   */
  function reissuePlan(
    locator: string,
    kept: Awaited<ReturnType<typeof keptForReissue>>,
    step: Parameters<NonNullable<KindAdapter['reissue']>>[1],
  ): FieldPlan {
    const planned = plannedFields(step.fields);
    if (planned) {
      const names = new Set([...planned.regenerate.map((f) => f.name), ...planned.keep]);
      const unplanned = Object.keys(kept.data).filter((k) => !names.has(k));
      if (unplanned.length > 0) {
        throw new ConflictError(
          `vault kv ${locator}: fields the approved plan does not name appeared (${unplanned.join(', ')}); nothing was written`,
        );
      }
      return planned;
    }
    const params = kvFieldParams(step.params);
    const names = params.fields ?? kept.fields;
    if (names) {
      const regenerate = names.map((name) => ({
        name,
        generator: params.generators[name] ?? step.generator,
      }));
      return { regenerate, keep: Object.keys(kept.data).filter((k) => !names.includes(k)) };
    }
    return planKvFields(locator, kept.data, {
      configNonSecret: ctx.config.kv.nonSecretFields,
      params,
      generator: step.generator,
    });
  }

  return {
    revokeModes: ['destroy', 'soft-delete'],

    inventory(signal) {
      return mapConcurrent(
        allLocators(signal),
        ctx.concurrency,
        async (locator) => recordOf(locator, await readKvMetadata(session, locate(locator))),
        ORDERED,
      );
    },

    async describe(locator, opts?: DescribeOptions) {
      const p = locate(locator);
      const meta = await readKvMetadata(session, p).catch((error: unknown) => {
        throw error instanceof NotFoundError ? new NotFoundError(`vault kv ${locator} not found`) : error;
      });
      const rec = recordOf(locator, meta);
      if (rec.state === 'enabled') {
        const data = await readKvData(session, p, meta.currentVersion).catch(() => undefined);
        const fp = data && kvFingerprint(ctx.fingerprint, data, secretFieldsOf(data));
        if (fp) {
          rec.fingerprint = fp;
          const cur = rec.versions.find((v) => v.current);
          if (cur) cur.fingerprint = fp;
        }
        // Planning: say which fields this runbook regenerates and keeps, or refuse (kv-fields.ts).
        const reissueStep = opts?.runbook?.steps.find((s) => s.type === 'reissue');
        if (data && opts?.runbook && reissueStep) {
          rec.fields = planKvFields(locator, data, {
            configNonSecret: ctx.config.kv.nonSecretFields,
            params: kvFieldParams(reissueStep.params),
            generator: opts.runbook.generator,
          });
        }
      }
      rec.derived = [consumerCopies(opts, 're-read the path')];
      return rec;
    },

    async revoke(locator, versionIds, step) {
      const p = locate(locator);
      const mode = step.params.mode ?? 'destroy';
      if (mode !== 'destroy' && mode !== 'soft-delete') {
        throw new UsageError(
          `kv revoke: mode must be "destroy" or "soft-delete", got ${JSON.stringify(mode)}`,
        );
      }
      const meta = await readKvMetadata(session, p);
      for (const id of versionIds) {
        if (!meta.versions.some((x) => String(x.version) === id))
          throw new NotFoundError(`vault kv ${locator} has no version ${JSON.stringify(id)}`);
      }
      // Before anything becomes unreadable: keep the non-secret fields for the reissue (ADR 015).
      const carry = await carryToRecord({
        session,
        p,
        locator,
        meta,
        versionIds,
        fields: plannedFields(step.fields),
        configNonSecret: ctx.config.kv.nonSecretFields,
        now: ctx.now(),
      });
      if (carry) await patchKvCustomMetadata(session, p, { [CARRY_KEY]: carry });
      const out: RevokedVersion[] = [];
      for (const id of versionIds) {
        const v = meta.versions.find((x) => String(x.version) === id) as KvMetadata['versions'][number];
        const done = mode === 'destroy' ? v.destroyed : v.destroyed || isDeleted(v, ctx.now());
        if (done) {
          out.push({
            versionId: id,
            status: 'already-revoked',
            revokedAt: v.deletionTime ?? ctx.now().toISOString(),
          });
          continue;
        }
        const data = await readKvData(session, p, v.version).catch(() => undefined);
        const fingerprint = data && kvFingerprint(ctx.fingerprint, data, secretFieldsOf(data));
        await kvVersionsAction(session, p, mode === 'destroy' ? 'destroy' : 'delete', [v.version]);
        out.push({
          versionId: id,
          status: 'revoked',
          revokedAt: ctx.now().toISOString(),
          ...(fingerprint ? { fingerprint } : {}),
        });
      }
      return out;
    },

    async reissue(locator, step) {
      const p = locate(locator);
      const key = step.idempotencyKey;
      const meta = await readKvMetadata(session, p);
      const earlier = await issuedFromMetadata(p, meta, key);
      if (earlier) {
        await dropCarry(session, logger, p, meta, Number(earlier.versionId));
        return earlier;
      }

      const kept = await keptForReissue(session, p, meta, ctx.now());
      const plan = reissuePlan(locator, kept, step);
      const fields = plan.regenerate.map((f) => f.name);
      const fresh = new Map<string, SecretValue>(
        plan.regenerate.map((f) => [f.name, generateSecret(f.generator)]),
      );
      // Every regenerated field goes out in the write below: none may reach an error text.
      step.inFlight?.add(...fresh.values());
      const keptData = Object.fromEntries(
        Object.entries(kept.data).filter(([k]) => plan.keep.includes(k) || !fresh.has(k)),
      );
      const cas = meta.currentVersion;
      const expected = cas + 1;
      await patchKvCustomMetadata(session, p, {
        [ISSUE_KEY]: `${key}@${expected}`,
        [ISSUE_FIELDS]: fields.join(','),
      });

      const plain = (): Record<string, unknown> => {
        const data: Record<string, unknown> = { ...keptData };
        for (const [f, secret] of fresh) data[f] = secret.reveal();
        return data;
      };
      const fingerprint = kvFingerprint(ctx.fingerprint, plain(), fields) as string;
      try {
        const written = await writeKvData(session, p, plain(), cas);
        await dropCarry(session, logger, p, meta, written.version);
        return {
          versionId: String(written.version),
          fingerprint,
          issuedAt: written.createdAt ?? ctx.now().toISOString(),
          status: 'issued',
        };
      } catch (error) {
        if (!isCasMismatch(error)) throw scrubError(error, [...fresh.values()]);
        // Either our own write landed and its answer was lost, or someone else wrote.
        const after = await readKvMetadata(session, p);
        const mine = await issuedFromMetadata(p, after, key);
        if (mine && sameFingerprint(mine.fingerprint, fingerprint)) {
          await dropCarry(session, logger, p, after, Number(mine.versionId));
          return { ...mine, status: 'issued' };
        }
        await patchKvCustomMetadata(session, p, { [ISSUE_KEY]: null, [ISSUE_FIELDS]: null }).catch(
          () => undefined,
        );
        throw new ConflictError(`vault kv ${locator} changed during reissue (check-and-set ${cas} refused)`);
      }
    },

    async findIssued(locator, idempotencyKey) {
      const p = locate(locator);
      try {
        return await issuedFromMetadata(p, await readKvMetadata(session, p), idempotencyKey);
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },

    async verify(locator, issued) {
      const p = locate(locator);
      const meta = await readKvMetadata(session, p);
      const data = await readKvData(session, p, Number(issued.versionId));
      if (!data)
        return { ok: false, detail: `version ${issued.versionId} is not readable (deleted or destroyed)` };
      const recorded = meta.custom[ISSUE_KEY]?.endsWith(`@${issued.versionId}`)
        ? meta.custom[ISSUE_FIELDS]
        : undefined;
      const fp = kvFingerprint(ctx.fingerprint, data, secretFieldsOf(data, recorded));
      if (!fp || !sameFingerprint(fp, issued.fingerprint)) {
        return { ok: false, detail: `version ${issued.versionId} does not hold the issued value` };
      }
      const current = meta.currentVersion === Number(issued.versionId);
      return {
        ok: current,
        detail: current
          ? `version ${issued.versionId} is current and holds the issued value`
          : `version ${issued.versionId} holds the issued value but version ${meta.currentVersion} is current`,
      };
    },

    async discard(locator, issued) {
      await kvVersionsAction(session, locate(locator), 'destroy', [Number(issued.versionId)]);
    },
  };
}
