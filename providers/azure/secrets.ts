/**
 * Kind `secret`: a Key Vault secret, addressed by name in the instance's vault. Revoke disables
 * versions; reissue writes a new version tagged with the idempotency key; discard disables the
 * unverified version (Key Vault cannot delete a single version). See docs/adr/030-033.
 */
import type { DeletedSecret, SecretProperties } from '@azure/keyvault-secrets';
import type { Logger } from 'pino';
import { mapConcurrent } from '../../src/lib/concurrency.js';
import { ConflictError, NotFoundError, ProviderError, UsageError } from '../../src/lib/errors.js';
import type { Fingerprinter } from '../../src/lib/fingerprint.js';
import { sameFingerprint } from '../../src/lib/fingerprint.js';
import { generateSecret } from '../../src/lib/generator.js';
import type {
  IdentityRecord,
  IssuedCredential,
  ReissueContext,
  RevokedVersion,
  StepContext,
  VerifyResult,
} from '../../src/provider.js';
import { type SecretClientLike, statusOf } from './client.js';
import { type ReadCall, walkPages } from './paging.js';
import {
  activeRecord,
  deletedRecord,
  IDEMPOTENCY_TAG,
  iso,
  latestIsAmbiguous,
  MAX_TAGS,
  type RecordContext,
  RUN_TAG,
  refOf,
  SECRET_NAME,
  sortNewestFirst,
  VERSION_ID,
} from './records.js';

export interface SecretKindDeps extends RecordContext {
  client: SecretClientLike;
  logger: Logger;
  fingerprint: Fingerprinter;
  concurrency: number;
  read: ReadCall;
  write: ReadCall;
  now: () => Date;
}

export function createSecretKind(d: SecretKindDeps) {
  const { client } = d;
  const walk = <T>(op: string, what: string, open: Parameters<typeof walkPages<T>>[0]) =>
    walkPages<T>(open, { op, what, vaultUrl: client.vaultUrl, logger: d.logger, read: d.read });

  function checkName(name: string): void {
    if (!SECRET_NAME.test(name)) throw new UsageError(`not a Key Vault secret name: ${JSON.stringify(name)}`);
  }

  async function listVersions(name: string): Promise<SecretProperties[]> {
    const all: SecretProperties[] = [];
    const pages = walk<SecretProperties>('listPropertiesOfSecretVersions', refOf(d.instance, name), (t) =>
      client.listPropertiesOfSecretVersions(name).byPage(t === undefined ? {} : { continuationToken: t }),
    );
    for await (const page of pages) {
      for (const p of page) if (typeof p.version === 'string' && VERSION_ID.test(p.version)) all.push(p);
    }
    return all;
  }

  /** All versions newest first; asks the vault for the latest only when createdOn ties at the top. */
  async function sortedVersions(name: string): Promise<SecretProperties[]> {
    const versions = await listVersions(name);
    let sorted = sortNewestFirst(versions);
    if (latestIsAmbiguous(sorted)) {
      const latestId = await latestVersionId(name, sorted);
      if (latestId !== undefined) sorted = sortNewestFirst(versions, latestId);
    }
    return sorted;
  }

  async function latestVersionId(name: string, sorted: SecretProperties[]): Promise<string | undefined> {
    try {
      // Reads the value too (Key Vault has no metadata-only "get latest"); it is dropped here.
      const latest = await d.read('getSecret', refOf(d.instance, name), () => client.getSecret(name));
      return latest.properties.version;
    } catch (error) {
      if (statusOf(error) !== 403 && !(error instanceof ProviderError && error.status === 403)) throw error;
      // 403: the latest version is disabled. If exactly one tied version is disabled, that is it.
      const top = sorted.filter((p) => p.createdOn?.getTime() === sorted[0]?.createdOn?.getTime());
      const disabled = top.filter((p) => p.enabled === false);
      return disabled.length === 1 ? disabled[0]?.version : undefined;
    }
  }

  async function describeActive(name: string): Promise<IdentityRecord | undefined> {
    let sorted: SecretProperties[];
    try {
      sorted = await sortedVersions(name);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    return sorted.length === 0 ? undefined : activeRecord(d, name, sorted);
  }

  /** Versions newest first of a live secret; ConflictError when soft-deleted, NotFoundError when absent. */
  async function loadLive(name: string, deletedHint: string): Promise<SecretProperties[]> {
    const ref = refOf(d.instance, name);
    try {
      const sorted = await sortedVersions(name);
      if (sorted.length > 0) return sorted;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    try {
      await d.read('getDeletedSecret', ref, () => client.getDeletedSecret(name));
    } catch (error) {
      if (error instanceof NotFoundError) throw new NotFoundError(`azure secret ${ref} not found`);
      throw error;
    }
    throw new ConflictError(`azure secret ${ref} is soft-deleted: ${deletedHint}`);
  }

  async function describe(name: string): Promise<IdentityRecord> {
    checkName(name);
    const active = await describeActive(name);
    if (active) return active;
    try {
      const deleted = await d.read('getDeletedSecret', refOf(d.instance, name), () =>
        client.getDeletedSecret(name),
      );
      return deletedRecord(d, deleted);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new NotFoundError(`azure secret ${refOf(d.instance, name)} not found`);
      throw error;
    }
  }

  function acceptName(name: string, from: string): boolean {
    if (SECRET_NAME.test(name)) return true;
    d.logger.warn(
      { name: JSON.stringify(name), from },
      'skipping an azure secret whose name is not a valid Key Vault name',
    );
    return false;
  }

  async function* inventory(): AsyncGenerator<IdentityRecord> {
    const what = `vault ${d.instance}`;
    async function* names(): AsyncGenerator<string> {
      const pages = walk<SecretProperties>('listPropertiesOfSecrets', what, (t) =>
        client.listPropertiesOfSecrets().byPage(t === undefined ? {} : { continuationToken: t }),
      );
      for await (const page of pages) {
        for (const p of page) {
          if (!acceptName(p.name, 'listPropertiesOfSecrets')) continue;
          // Certificate-backed secrets are managed by Key Vault and cannot be revoked or reissued here.
          if (p.managed) continue;
          yield p.name;
        }
      }
    }
    for await (const rec of mapConcurrent(names(), d.concurrency, describeActive)) if (rec) yield rec;
    const deleted = walk<DeletedSecret>('listDeletedSecrets', what, (t) =>
      client.listDeletedSecrets().byPage(t === undefined ? {} : { continuationToken: t }),
    );
    for await (const page of deleted) {
      for (const s of page) if (acceptName(s.name, 'listDeletedSecrets')) yield deletedRecord(d, s);
    }
  }

  async function revoke(
    name: string,
    versionIds: readonly string[],
    ctx: StepContext,
  ): Promise<RevokedVersion[]> {
    checkName(name);
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

  async function findIssued(name: string, key: string): Promise<IssuedCredential | undefined> {
    checkName(name);
    const ref = refOf(d.instance, name);
    const match = (await listVersions(name)).find((p) => p.tags?.[IDEMPOTENCY_TAG] === key);
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
    checkName(name);
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
    const fingerprint = ctx.fingerprint(value);
    let attempt = 0;
    const result = await d.write('setSecret', ref, async () => {
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
    checkName(name);
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
    checkName(name);
    const ref = refOf(d.instance, name);
    // Key Vault cannot delete one version; disabling it is the strongest per-version removal.
    await d.write('updateSecretProperties', ref, () =>
      client.updateSecretProperties(name, issued.versionId, { enabled: false }),
    );
    ctx.logger.warn({ ref, versionId: issued.versionId }, 'azure secret version discarded by disabling it');
  }

  return { inventory, describe, revoke, reissue, findIssued, verify, discard };
}
