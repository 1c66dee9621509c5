/**
 * Secrets Manager secrets (kind `secret`, locator = secret name or ARN): inventory and describe.
 * Revoke / reissue live in secret-versions.ts. Neither module reads a secret value during a
 * scan: GetSecretValue would bump LastAccessedDate, which is the dormancy signal itself.
 *
 * Inventory is built from ListSecrets pages alone (no per-secret call, ADR 023);
 * ListSecretVersionIds, with its own low budget, is kept for describe and activitySince.
 */
import type {
  DescribeSecretCommandOutput,
  ListSecretsCommandOutput,
  ListSecretVersionIdsCommandOutput,
  SecretVersionsListEntry,
} from '@aws-sdk/client-secrets-manager';
import { ProviderError } from '../../src/lib/errors.js';
import type {
  ActivityEvidence,
  CredentialRef,
  CredentialVersion,
  IdentityRecord,
} from '../../src/provider.js';
import { type AwsKindContext, iso, ownersFromTags, paginate, tagRecord, usableName } from './client.js';
import { secretsManagerSdk } from './sdk.js';

const { DescribeSecretCommand, ListSecretsCommand, ListSecretVersionIdsCommand } = secretsManagerSdk();

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';
/** Stage of a reissued version waiting for verification (reissue-then-revoke). */
export const PENDING_STAGE = 'NHI_PENDING';
/** Stage marking a revocation tombstone: a random value nobody receives (ADR 020). */
export const TOMBSTONE_STAGE = 'NHI_TOMBSTONE';

/** The fields shared by ListSecrets entries and DescribeSecret output. */
export interface SecretMeta {
  Name?: string | undefined;
  ARN?: string | undefined;
  Tags?: unknown;
  DeletedDate?: unknown;
  CreatedDate?: unknown;
  LastRotatedDate?: unknown;
  LastChangedDate?: unknown;
  LastAccessedDate?: unknown;
}

/** Version id -> staging labels, from either shape. Ignores malformed entries. */
export function stagesOf(map: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (typeof map !== 'object' || map === null) return out;
  for (const [id, labels] of Object.entries(map as Record<string, unknown>)) {
    out.set(id, Array.isArray(labels) ? labels.filter((l): l is string => typeof l === 'string') : []);
  }
  return out;
}

export async function describeSecretRaw(
  kc: AwsKindContext,
  secretId: string,
): Promise<DescribeSecretCommandOutput> {
  return kc.caller.call<DescribeSecretCommandOutput>(
    'smRead',
    kc.clients.secretsManager,
    new DescribeSecretCommand({ SecretId: secretId }),
    secretId,
  );
}

export async function listSecretVersions(
  kc: AwsKindContext,
  secretId: string,
  signal?: AbortSignal,
): Promise<SecretVersionsListEntry[]> {
  const out: SecretVersionsListEntry[] = [];
  const pages = paginate(`ListSecretVersionIds ${JSON.stringify(secretId)}`, async (token) => {
    const page = await kc.caller.call<ListSecretVersionIdsCommandOutput>(
      'smVersions',
      kc.clients.secretsManager,
      new ListSecretVersionIdsCommand({
        SecretId: secretId,
        IncludeDeprecated: true,
        MaxResults: 100,
        ...(token ? { NextToken: token } : {}),
      }),
      secretId,
      signal,
    );
    return { items: Array.isArray(page.Versions) ? page.Versions : [], next: page.NextToken };
  });
  // A secret holds at most ~100 versions (Secrets Manager prunes unlabelled ones), so this is bounded.
  for await (const v of pages) out.push(v);
  return out;
}

/**
 * Versions from a stage map plus, for describe, ListSecretVersionIds. Only labelled versions
 * come from the map: ListSecrets documents that it omits unlabelled (deprecated) versions and
 * moto lists them with `[]`, so dropping them keeps inventory identical on both servers.
 * Unlabelled versions, and every creation date, come from the version listing alone.
 */
function toVersions(
  stages: Map<string, string[]>,
  listed: readonly SecretVersionsListEntry[] | undefined,
  deleted: boolean,
): CredentialVersion[] {
  for (const [id, labels] of stages) if (labels.length === 0) stages.delete(id);
  const created = new Map<string, string | undefined>();
  for (const v of listed ?? []) {
    if (typeof v.VersionId !== 'string') continue;
    created.set(v.VersionId, iso(v.CreatedDate));
    if (!stages.has(v.VersionId))
      stages.set(
        v.VersionId,
        (v.VersionStages ?? []).filter((s) => typeof s === 'string'),
      );
  }
  const versions: CredentialVersion[] = [];
  for (const [id, labels] of stages) {
    const createdAt = created.get(id);
    versions.push({
      id,
      // A version no label points at is served to nobody: that is what revoke leaves behind.
      state: deleted ? 'deleted' : labels.length > 0 ? 'enabled' : 'disabled',
      current: !deleted && labels.includes(AWSCURRENT),
      labels,
      ...(createdAt ? { createdAt } : {}),
    });
  }
  // Newest first; without dates (inventory) the current version leads.
  return versions.sort(
    (a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || Number(b.current) - Number(a.current),
  );
}

export function secretRecord(
  kc: AwsKindContext,
  meta: SecretMeta,
  stagesMap: unknown,
  listed?: readonly SecretVersionsListEntry[],
): IdentityRecord {
  const name = meta.Name as string;
  const tags = tagRecord(meta.Tags);
  const deleted = iso(meta.DeletedDate) !== undefined;
  const versions = toVersions(stagesOf(stagesMap), listed, deleted);
  const current = versions.find((v) => v.labels?.includes(AWSCURRENT));
  const createdAt = iso(meta.CreatedDate);
  const lastUsedAt = iso(meta.LastAccessedDate);
  const lastRotatedAt = iso(meta.LastRotatedDate) ?? iso(meta.LastChangedDate);
  return {
    ref: `${kc.instance}:secret:${name}`,
    provider: 'aws',
    instance: kc.instance,
    kind: 'secret',
    name,
    owners: ownersFromTags(tags, kc.ownerTagKeys),
    state: deleted ? 'deleted' : 'enabled',
    ...(createdAt ? { createdAt } : {}),
    ...(lastUsedAt ? { lastUsedAt } : {}),
    // Day precision per the API reference. Real AWS fills it on ListSecrets entries and
    // DescribeSecret alike; moto leaves both null (it fills it per version only).
    lastUsedSignal: 'LastAccessedDate',
    lastUsedConfidence: 'day',
    ...(lastRotatedAt ? { lastRotatedAt } : {}),
    tags,
    ...(current ? { currentVersion: current.id } : {}),
    versions,
  };
}

export async function* secretInventory(
  kc: AwsKindContext,
  signal?: AbortSignal,
): AsyncGenerator<IdentityRecord> {
  const prefix = kc.config.secrets.namePrefix;
  const entries = paginate('ListSecrets', async (token) => {
    const page = await kc.caller.call<ListSecretsCommandOutput>(
      'smList',
      kc.clients.secretsManager,
      new ListSecretsCommand({
        IncludePlannedDeletion: true,
        MaxResults: 100,
        ...(prefix ? { Filters: [{ Key: 'name', Values: [prefix] }] } : {}),
        ...(token ? { NextToken: token } : {}),
      }),
      'ListSecrets',
      signal,
    );
    return { items: Array.isArray(page.SecretList) ? page.SecretList : [], next: page.NextToken };
  });
  for await (const entry of entries) {
    if (!usableName(entry.Name, 'secret', kc.logger)) continue;
    // The name filter is a prefix match on AWS; a server that ignores it must not widen the scan.
    if (prefix && !entry.Name.startsWith(prefix)) continue;
    // The entry carries everything the scan reads; no per-secret call (ADR 023).
    yield secretRecord(kc, entry, entry.SecretVersionsToStages);
  }
}

export async function describeSecret(kc: AwsKindContext, ref: CredentialRef): Promise<IdentityRecord> {
  const meta = await describeSecretRaw(kc, ref.locator);
  if (!usableName(meta.Name, 'secret', kc.logger)) {
    throw new ProviderError(
      `aws DescribeSecret ${JSON.stringify(ref.locator)}: the secret name is not usable in a ref`,
    );
  }
  // Describe adds what inventory lacks: unlabelled versions and per-version dates. A secret
  // pending deletion refuses most calls, and its versions serve nobody anyway.
  const deleted = iso(meta.DeletedDate) !== undefined;
  const listed = deleted ? undefined : await listSecretVersions(kc, meta.ARN ?? ref.locator);
  return secretRecord(kc, meta, meta.VersionIdsToStages, listed);
}

/**
 * Per-version LastAccessedDate (day precision). A date on the same day as `since` is reported:
 * it may be before or after the revocation, and only CloudTrail can tell.
 */
export async function secretActivitySince(
  kc: AwsKindContext,
  ref: CredentialRef,
  since: string,
  versionIds: readonly string[],
): Promise<ActivityEvidence[]> {
  const sinceDay = (iso(since) ?? since).slice(0, 10);
  const wanted = new Set(versionIds);
  const out: ActivityEvidence[] = [];
  for (const v of await listSecretVersions(kc, ref.locator)) {
    if (typeof v.VersionId !== 'string' || (wanted.size > 0 && !wanted.has(v.VersionId))) continue;
    const last = iso(v.LastAccessedDate);
    if (!last || last.slice(0, 10) < sinceDay) continue;
    out.push({
      versionId: v.VersionId,
      signal: 'LastAccessedDate',
      confidence: 'day',
      lastUsedAt: last,
      ...(last.slice(0, 10) === sinceDay ? { detail: { note: 'same day as since: may predate it' } } : {}),
    });
  }
  return out;
}
