/**
 * Turning Key Vault secret properties into IdentityRecords. Pure functions: no I/O.
 */
import type { DeletedSecret, SecretProperties } from '@azure/keyvault-secrets';
import { UsageError } from '../../src/lib/errors.js';
import { own } from '../../src/lib/own.js';
import type { CredentialVersion, IdentityRecord, ReenableEvidence } from '../../src/provider.js';

/** Key Vault object names: 1-127 of [0-9a-zA-Z-]. Anything else from a listing is skipped. */
export const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** Version ids are 32 hex characters in Azure; accept a little more, but never control characters. */
export const VERSION_ID = /^[0-9a-zA-Z-]{1,64}$/;

export function checkSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) throw new UsageError(`not a Key Vault secret name: ${JSON.stringify(name)}`);
}

export const IDEMPOTENCY_TAG = 'nhi-idempotency-key';
export const RUN_TAG = 'nhi-run';
/** Key Vault allows at most 15 tags on a secret version. */
export const MAX_TAGS = 15;

export function iso(d: Date | undefined): string | undefined {
  return d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined;
}

function ms(d: Date | undefined): number {
  return d instanceof Date && !Number.isNaN(d.getTime()) ? d.getTime() : Number.NEGATIVE_INFINITY;
}

/** Owners from the first configured tag key present; a value may list several, comma-separated. */
export function ownersFromTags(tags: Record<string, string> | undefined, keys: readonly string[]): string[] {
  if (!tags) return [];
  for (const key of keys) {
    const value = own(tags, key);
    if (typeof value === 'string') {
      return value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    }
  }
  return [];
}

/**
 * Newest first by createdOn. Key Vault timestamps have one-second precision, so two versions
 * written in the same second tie. `latestId`, when the caller could learn it, wins outright;
 * other ties keep the reverse of the listing order (Lowkey and our fake list oldest first; Azure
 * documents no order, which is why the caller asks for the latest when the top two tie).
 */
export function sortNewestFirst(
  versions: readonly SecretProperties[],
  latestId?: string,
): SecretProperties[] {
  const indexed = versions.map((p, i) => ({ p, i }));
  indexed.sort((a, b) => {
    if (latestId !== undefined) {
      if (a.p.version === latestId) return -1;
      if (b.p.version === latestId) return 1;
    }
    return ms(b.p.createdOn) - ms(a.p.createdOn) || b.i - a.i;
  });
  return indexed.map((x) => x.p);
}

/** True when the newest two versions share a createdOn second, so "latest" needs asking. */
export function latestIsAmbiguous(sorted: readonly SecretProperties[]): boolean {
  const [a, b] = sorted;
  return a !== undefined && b !== undefined && ms(a.createdOn) === ms(b.createdOn);
}

export interface RecordContext {
  instance: string;
  ownerTagKeys: readonly string[];
}

export function refOf(instance: string, name: string): string {
  return `${instance}:secret:${name}`;
}

/**
 * A latest version that is enabled and was updated after it was created may have been
 * re-enabled. Any tag, expiry or content-type edit also moves updatedOn, so this is weak.
 */
function reenableEvidence(latest: SecretProperties): ReenableEvidence[] | undefined {
  const created = ms(latest.createdOn);
  const updated = ms(latest.updatedOn);
  if (latest.enabled === false || !(updated > created)) return undefined;
  const at = iso(latest.updatedOn);
  return [
    {
      ...(at === undefined ? {} : { at }),
      detail:
        'weak: latest version is enabled and its updatedOn is later than its createdOn; a re-enable would look like this, but so does any tag, expiry or content-type update',
    },
  ];
}

/** A live secret from its versions sorted newest first (at least one). */
export function activeRecord(
  ctx: RecordContext,
  name: string,
  sorted: readonly SecretProperties[],
): IdentityRecord {
  const latest = sorted[0] as SecretProperties;
  const oldest = sorted[sorted.length - 1] as SecretProperties;
  const versions: CredentialVersion[] = sorted
    .filter((p) => typeof p.version === 'string')
    .map((p, i) => {
      const createdAt = iso(p.createdOn);
      return {
        id: p.version as string,
        state: p.enabled === false ? 'disabled' : 'enabled',
        current: i === 0,
        ...(createdAt === undefined ? {} : { createdAt }),
      };
    });
  const tags = { ...(latest.tags ?? {}) };
  const evidence = reenableEvidence(latest);
  const createdAt = iso(oldest.createdOn);
  const lastRotatedAt = iso(latest.createdOn);
  const expiresAt = iso(latest.expiresOn);
  return {
    ref: refOf(ctx.instance, name),
    provider: 'azure',
    instance: ctx.instance,
    kind: 'secret',
    name,
    owners: ownersFromTags(tags, ctx.ownerTagKeys),
    state: latest.enabled === false ? 'disabled' : 'enabled',
    ...(createdAt === undefined ? {} : { createdAt }),
    // Key Vault records no per-secret last access without diagnostic logs.
    lastUsedConfidence: 'none',
    ...(lastRotatedAt === undefined ? {} : { lastRotatedAt }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    tags,
    ...(latest.version === undefined ? {} : { currentVersion: latest.version }),
    versions,
    ...(evidence ? { reenableEvidence: evidence } : {}),
  };
}

/** A soft-deleted secret: Key Vault shows only its latest version's properties. */
export function deletedRecord(ctx: RecordContext, deleted: DeletedSecret): IdentityRecord {
  const p = deleted.properties;
  const tags = { ...(p.tags ?? {}) };
  const lastRotatedAt = iso(p.createdOn);
  const expiresAt = iso(p.expiresOn);
  const createdAt = iso(p.createdOn);
  return {
    ref: refOf(ctx.instance, deleted.name),
    provider: 'azure',
    instance: ctx.instance,
    kind: 'secret',
    name: deleted.name,
    owners: ownersFromTags(tags, ctx.ownerTagKeys),
    state: 'deleted',
    lastUsedConfidence: 'none',
    ...(lastRotatedAt === undefined ? {} : { lastRotatedAt }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    tags,
    ...(p.version === undefined ? {} : { currentVersion: p.version }),
    versions:
      p.version === undefined
        ? []
        : [
            {
              id: p.version,
              state: 'deleted',
              current: true,
              ...(createdAt === undefined ? {} : { createdAt }),
            },
          ],
  };
}
