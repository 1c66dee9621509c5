/**
 * Version operations on a Key Vault secret: revoke disables versions; reissue writes a new
 * version tagged with the idempotency key (findIssued finds it again); verify checks it is the
 * latest, enabled and holds the issued value; discard disables it (Key Vault cannot delete a
 * single version). See docs/adr/031.
 */
import type { SecretProperties } from '@azure/keyvault-secrets';
import { NotFoundError, ProviderError, UsageError } from '../../src/lib/errors.js';
import { sameFingerprint } from '../../src/lib/fingerprint.js';
import { generateSecret } from '../../src/lib/generator.js';
import { scrubError } from '../../src/lib/scrub.js';
import type {
  IdentityRecord,
  IssuedCredential,
  ReissueContext,
  RevokedVersion,
  StepContext,
  VerifyResult,
} from '../../src/provider.js';
import type { SecretClientLike } from './client.js';
import { activeRecord, checkSecretName, IDEMPOTENCY_TAG, iso, MAX_TAGS, RUN_TAG, refOf } from './records.js';
import type { SecretKindDeps } from './secret-kind-deps.js';

/** The reads of a secret (secrets.ts) that its version operations build on. */
export interface SecretReads {
  listVersions(name: string): Promise<SecretProperties[]>;
  /** Versions newest first of a live secret; ConflictError when soft-deleted, NotFoundError when absent. */
  loadLive(name: string, deletedHint: string): Promise<SecretProperties[]>;
  describe(name: string): Promise<IdentityRecord>;
}

export function createSecretVersionOps(d: SecretKindDeps, reads: SecretReads) {
  const { client } = d;
  const { listVersions, loadLive, describe } = reads;

  async function revoke(
    name: string,
    versionIds: readonly string[],
    ctx: StepContext,
  ): Promise<RevokedVersion[]> {
    checkSecretName(name);
    const mode = ctx.params.mode;
    if (mode !== undefined && mode !== 'disable') {
      throw new UsageError(`azure secrets support revoke mode "disable" only, not ${JSON.stringify(mode)}`);
    }
    const sorted = await loadLive(name, 'its versions cannot be disabled until it is recovered (or purged)');
    const rec = activeRecord(d, name, sorted);
    const byId = new Map(sorted.map((p) => [p.version as string, p]));
    const out: RevokedVersion[] = [];
    for (const versionId of versionIds) {
      const current = byId.get(versionId);
      if (!current)
        throw new NotFoundError(`azure secret ${rec.ref} has no version ${JSON.stringify(versionId)}`);
      if (current.enabled === false) {
        out.push({
          versionId,
          status: 'already-revoked',
          revokedAt: iso(current.updatedOn) ?? d.now().toISOString(),
        });
        continue;
      }
      const updated = await d.write('updateSecretProperties', rec.ref, () =>
        client.updateSecretProperties(name, versionId, { enabled: false }),
      );
      out.push({ versionId, status: 'revoked', revokedAt: iso(updated.updatedOn) ?? d.now().toISOString() });
      ctx.logger.info({ ref: rec.ref, versionId }, 'azure secret version disabled');
    }
    return out;
  }

  /**
   * Listing the versions of a soft-deleted (or absent) secret answers 404: like loadLive, that
   * is "no versions", so nothing was issued with this key. Reissue then gets loadLive's own
   * answer (soft-deleted: recover it first; absent: not found) instead of a bare 404.
   */
  async function versionsOrNone(name: string): Promise<SecretProperties[]> {
    try {
      return await listVersions(name);
    } catch (error) {
      if (error instanceof NotFoundError) return [];
      throw error;
    }
  }

  async function findIssued(name: string, key: string): Promise<IssuedCredential | undefined> {
    checkSecretName(name);
    const ref = refOf(d.instance, name);
    const match = (await versionsOrNone(name)).find((p) => p.tags?.[IDEMPOTENCY_TAG] === key);
    if (!match?.version) return undefined;
    const version = match.version;
    let value: string | undefined;
    try {
      value = (await d.read('getSecret', ref, () => client.getSecret(name, { version }))).value;
    } catch (error) {
      if (error instanceof ProviderError && error.status === 403) {
        throw new ProviderError(
          `azure secret ${ref}: version ${version} issued with this idempotency key exists but is disabled, so it cannot be fingerprinted`,
          { retryable: false, status: 403 },
        );
      }
      throw error;
    }
    return {
      versionId: version,
      fingerprint: d.fingerprint(value ?? ''),
      issuedAt: iso(match.createdOn) ?? d.now().toISOString(),
      status: 'already-issued',
    };
  }

  async function reissue(name: string, ctx: ReissueContext): Promise<IssuedCredential> {
    checkSecretName(name);
    const ref = refOf(d.instance, name);
    if (ctx.generator.type === 'provider') {
      throw new UsageError(
        `azure secret ${ref}: Key Vault cannot mint a value; use a password, hex or base64 generator`,
      );
    }
    const earlier = await findIssued(name, ctx.idempotencyKey);
    if (earlier) return earlier;
    const latest = (await loadLive(name, 'recover it before reissuing'))[0];
    // Tags live on each version: a new version without the owner tags would orphan the secret.
    const kept = Object.fromEntries(
      Object.entries(latest?.tags ?? {}).filter(([k]) => k !== IDEMPOTENCY_TAG && k !== RUN_TAG),
    );
    const tags = { ...kept, [IDEMPOTENCY_TAG]: ctx.idempotencyKey, [RUN_TAG]: ctx.runId };
    if (Object.keys(tags).length > MAX_TAGS) {
      throw new ProviderError(
        `azure secret ${ref}: its ${Object.keys(kept).length} tags leave no room for the 2 run tags (Key Vault allows ${MAX_TAGS})`,
        { retryable: false },
      );
    }
    const contentType = latest?.contentType;
    const value = generateSecret(ctx.generator);
    ctx.inFlight?.add(value);
    const fingerprint = ctx.fingerprint(value);
    let attempt = 0;
    const written = d.write('setSecret', ref, async () => {
      // A retried write may follow a lost response: look for our key before writing again.
      if (attempt++ > 0) {
        const found = await findIssued(name, ctx.idempotencyKey);
        // Our own earlier attempt of this same call wrote it: still 'issued' from the caller's view.
        if (found) return { version: found.versionId, createdOn: found.issuedAt, status: 'issued' as const };
      }
      const set = await client.setSecret(name, value.reveal(), {
        tags,
        ...(contentType === undefined ? {} : { contentType }),
      });
      return {
        version: set.properties.version,
        createdOn: iso(set.properties.createdOn),
        status: 'issued' as const,
      };
    });
    // Nothing of the value written may leave in an error text.
    const result = await written.catch((error: unknown) => {
      throw scrubError(error, [value]);
    });
    if (!result.version) throw new ProviderError(`azure setSecret ${ref}: response carried no version id`);
    ctx.logger.info({ ref, versionId: result.version }, 'azure secret version written');
    return {
      versionId: result.version,
      fingerprint,
      issuedAt: result.createdOn ?? d.now().toISOString(),
      status: result.status,
    };
  }

  async function verify(name: string, issued: IssuedCredential): Promise<VerifyResult> {
    checkSecretName(name);
    const ref = refOf(d.instance, name);
    let got: Awaited<ReturnType<SecretClientLike['getSecret']>>;
    try {
      got = await d.read('getSecret', ref, () => client.getSecret(name, { version: issued.versionId }));
    } catch (error) {
      if (error instanceof ProviderError && error.status === 403) {
        return { ok: false, detail: `version ${issued.versionId} is disabled (or not readable)` };
      }
      if (error instanceof NotFoundError)
        return { ok: false, detail: `version ${issued.versionId} not found` };
      throw error;
    }
    if (got.properties.enabled === false)
      return { ok: false, detail: `version ${issued.versionId} is disabled` };
    if (!sameFingerprint(d.fingerprint(got.value ?? ''), issued.fingerprint)) {
      return { ok: false, detail: `version ${issued.versionId} holds a different value than the one issued` };
    }
    const rec = await describe(name);
    if (rec.currentVersion !== issued.versionId) {
      return {
        ok: false,
        detail: `version ${issued.versionId} is not the latest (latest is ${rec.currentVersion ?? 'unknown'})`,
      };
    }
    return {
      ok: true,
      detail: `version ${issued.versionId} is the latest, enabled, and holds the issued value`,
    };
  }

  async function discard(name: string, issued: IssuedCredential, ctx: StepContext): Promise<void> {
    checkSecretName(name);
    const ref = refOf(d.instance, name);
    // Key Vault cannot delete one version; disabling it is the strongest per-version removal.
    await d.write('updateSecretProperties', ref, () =>
      client.updateSecretProperties(name, issued.versionId, { enabled: false }),
    );
    ctx.logger.warn({ ref, versionId: issued.versionId }, 'azure secret version discarded by disabling it');
  }

  return { revoke, findIssued, reissue, verify, discard };
}
