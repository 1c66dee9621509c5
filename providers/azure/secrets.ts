/**
 * Kind `secret`: a Key Vault secret, addressed by name in the instance's vault. Revoke disables
 * versions; reissue writes a new version tagged with the idempotency key; discard disables the
 * unverified version (Key Vault cannot delete a single version). See docs/adr/030-033.
 * Listing and describing are here; the version operations are in secret-versions.ts.
 */
import type { DeletedSecret, SecretProperties } from '@azure/keyvault-secrets';
import { mapConcurrent } from '../../src/lib/concurrency.js';
import { ConflictError, NotFoundError, ProviderError } from '../../src/lib/errors.js';
import type { DerivedCredential, DescribeOptions, IdentityRecord } from '../../src/provider.js';
import { consumerCopies } from '../../src/provider-derived.js';
import type { KindAdapter } from '../../src/provider-kinds.js';
import { statusOf } from './client.js';
import { walkPages } from './paging.js';
import {
  activeRecord,
  checkSecretName,
  deletedRecord,
  latestIsAmbiguous,
  refOf,
  SECRET_NAME,
  sortNewestFirst,
  VERSION_ID,
} from './records.js';
import type { SecretKindDeps } from './secret-kind-deps.js';
import { createSecretVersionOps } from './secret-versions.js';

export function createSecretKind(d: SecretKindDeps): KindAdapter {
  const { client } = d;
  const walk = <T>(op: string, what: string, open: Parameters<typeof walkPages<T>>[0]) =>
    walkPages<T>(open, { op, what, vaultUrl: client.vaultUrl, logger: d.logger, read: d.read });

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
    checkSecretName(name);
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

  const { revoke, reissue, findIssued, verify, discard } = createSecretVersionOps(d, {
    listVersions,
    loadLive,
    describe,
  });
  return {
    revokeModes: ['disable'],
    async *inventory(signal) {
      for await (const rec of inventory()) {
        signal?.throwIfAborted();
        yield rec;
      }
    },
    // With the runbook, the plan also says what nhi cannot reach (ADR 034).
    describe: async (name, opts) =>
      opts ? { ...(await describe(name)), derived: azureSecretDerived(opts) } : describe(name),
    revoke,
    reissue,
    findIssued,
    verify,
    // Discard disables the unverified version: Key Vault cannot delete a single version.
    discard,
    // No activitySince: Key Vault keeps no per-secret access record outside diagnostic logs.
  };
}

/**
 * What a Key Vault secret's value may have minted or been copied into (ADR 034): consumers'
 * copies, including Key Vault references in App Service and Functions, which cache the resolved
 * value (re-fetched about every 24 h, or on restart); and, when the value is an Entra ID client
 * secret, the access tokens apps obtained with it, which Key Vault cannot revoke.
 */
function azureSecretDerived(opts: DescribeOptions): DerivedCredential[] {
  return [
    consumerCopies(opts, 're-read the secret'),
    {
      kind: 'keyvault-references',
      action: 'out-of-reach',
      detail:
        'App Service / Functions Key Vault references cache the resolved value (refreshed about every 24 h): restart the app or pin the new version to pick it up at once',
    },
    {
      kind: 'entra-tokens',
      action: 'out-of-reach',
      detail:
        'if this value is an Entra ID app client secret, access tokens issued with it stay valid until they expire (about 1 h) and the secret itself stays valid in Entra: rotate the app credential there',
    },
  ];
}
