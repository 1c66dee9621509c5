/**
 * IAM access keys (kind `iam-key`, locator `user-name/access-key-id`): inventory, describe,
 * revoke (deactivate or delete), activity. Reissue with delivery is in iam-reissue.ts.
 */
import type {
  AccessKeyMetadata,
  GetAccessKeyLastUsedCommandOutput,
  ListAccessKeysCommandOutput,
  ListUsersCommandOutput,
  ListUserTagsCommandOutput,
} from '@aws-sdk/client-iam';
import { mapConcurrent } from '../../src/lib/concurrency.js';
import { NotFoundError, UsageError } from '../../src/lib/errors.js';
import type {
  ActivityEvidence,
  CredentialRef,
  IdentityRecord,
  RevokedVersion,
  StepContext,
} from '../../src/provider.js';
import { type AwsKindContext, iso, ownersFromTags, paginate, tagRecord, usableName } from './client.js';
import { type PolicyCache, userIsAdmin } from './iam-privilege.js';
import { iamSdk } from './sdk.js';

const {
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  ListAccessKeysCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  UpdateAccessKeyCommand,
} = iamSdk();

export function parseKeyLocator(locator: string): { user: string; keyId: string } {
  const slash = locator.lastIndexOf('/');
  const user = locator.slice(0, slash);
  const keyId = locator.slice(slash + 1);
  if (slash <= 0 || keyId.length === 0) {
    throw new UsageError(
      `aws iam-key locator ${JSON.stringify(locator)}: expected <user-name>/<access-key-id>`,
    );
  }
  return { user, keyId };
}

export async function listUserKeys(
  kc: AwsKindContext,
  user: string,
  signal?: AbortSignal,
): Promise<AccessKeyMetadata[]> {
  const out: AccessKeyMetadata[] = [];
  const pages = paginate(`ListAccessKeys ${JSON.stringify(user)}`, async (marker) => {
    const page = await kc.caller.call<ListAccessKeysCommandOutput>(
      'iamRead',
      kc.clients.iam,
      new ListAccessKeysCommand({ UserName: user, ...(marker ? { Marker: marker } : {}) }),
      user,
      signal,
    );
    return { items: page.AccessKeyMetadata ?? [], next: page.IsTruncated ? page.Marker : undefined };
  });
  // IAM allows two keys per user, so this stays tiny.
  for await (const k of pages) out.push(k);
  return out;
}

export async function userTags(
  kc: AwsKindContext,
  user: string,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  const all: unknown[] = [];
  const pages = paginate(`ListUserTags ${JSON.stringify(user)}`, async (marker) => {
    const page = await kc.caller.call<ListUserTagsCommandOutput>(
      'iamRead',
      kc.clients.iam,
      new ListUserTagsCommand({ UserName: user, ...(marker ? { Marker: marker } : {}) }),
      user,
      signal,
    );
    return { items: page.Tags ?? [], next: page.IsTruncated ? page.Marker : undefined };
  });
  for await (const t of pages) all.push(t);
  return tagRecord(all);
}

export async function keyLastUsed(kc: AwsKindContext, keyId: string, signal?: AbortSignal) {
  const out = await kc.caller.call<GetAccessKeyLastUsedCommandOutput>(
    'iamRead',
    kc.clients.iam,
    new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId }),
    keyId,
    signal,
  );
  const u = out.AccessKeyLastUsed;
  return { at: iso(u?.LastUsedDate), service: u?.ServiceName ?? 'N/A', region: u?.Region ?? 'N/A' };
}

async function userRecords(
  kc: AwsKindContext,
  user: string,
  cache: PolicyCache,
  signal?: AbortSignal,
): Promise<IdentityRecord[]> {
  const keys = (await listUserKeys(kc, user, signal)).filter((k) =>
    usableName(k.AccessKeyId, 'iam-key', kc.logger),
  );
  if (keys.length === 0) return [];
  const [tags, admin, lastUsed] = await Promise.all([
    userTags(kc, user, signal),
    userIsAdmin(kc, user, cache),
    Promise.all(keys.map((k) => keyLastUsed(kc, k.AccessKeyId as string, signal))),
  ]);
  const owners = ownersFromTags(tags, kc.ownerTagKeys);
  return keys.map((k, i) => {
    const keyId = k.AccessKeyId as string;
    const active = k.Status === 'Active';
    const createdAt = iso(k.CreateDate);
    const used = lastUsed[i]?.at;
    return {
      ref: `${kc.instance}:iam-key:${user}/${keyId}`,
      provider: 'aws',
      instance: kc.instance,
      kind: 'iam-key',
      name: `${user}/${keyId}`,
      owners,
      state: active ? 'enabled' : 'disabled',
      ...(createdAt ? { createdAt } : {}),
      ...(used ? { lastUsedAt: used } : {}),
      lastUsedSignal: 'GetAccessKeyLastUsed',
      // A date-time per the API; IAM may publish it hours late, which affects freshness, not precision.
      lastUsedConfidence: 'exact',
      // An access key cannot be rotated in place: its age is its rotation age.
      ...(createdAt ? { lastRotatedAt: createdAt } : {}),
      tags,
      currentVersion: keyId,
      versions: [
        {
          id: keyId,
          state: active ? 'enabled' : 'disabled',
          current: active,
          ...(createdAt ? { createdAt } : {}),
        },
      ],
      ...(admin ? { privilegeHints: ['iam:admin'] } : {}),
    } satisfies IdentityRecord;
  });
}

export async function* iamKeyInventory(
  kc: AwsKindContext,
  signal?: AbortSignal,
): AsyncGenerator<IdentityRecord> {
  const pathPrefix = kc.config.iam.pathPrefix;
  const users = paginate('ListUsers', async (marker) => {
    const page = await kc.caller.call<ListUsersCommandOutput>(
      'iamRead',
      kc.clients.iam,
      new ListUsersCommand({
        MaxItems: 100,
        ...(pathPrefix ? { PathPrefix: pathPrefix } : {}),
        ...(marker ? { Marker: marker } : {}),
      }),
      'ListUsers',
      signal,
    );
    return { items: page.Users ?? [], next: page.IsTruncated ? page.Marker : undefined };
  });
  async function* names() {
    for await (const u of users) if (usableName(u.UserName, 'iam user', kc.logger)) yield u.UserName;
  }
  const cache: PolicyCache = new Map();
  // A user deleted between ListUsers and its own calls is gone, not an error: the walk goes on.
  const listedUser = (user: string) =>
    userRecords(kc, user, cache, signal).catch((err: unknown) => {
      if (err instanceof NotFoundError) return [];
      throw err;
    });
  for await (const records of mapConcurrent(names(), kc.concurrency, listedUser)) {
    yield* records;
  }
}

export async function describeIamKey(kc: AwsKindContext, ref: CredentialRef): Promise<IdentityRecord> {
  const { user, keyId } = parseKeyLocator(ref.locator);
  const found = (await userRecords(kc, user, new Map())).find((r) => r.currentVersion === keyId);
  if (!found) throw new NotFoundError(`aws iam-key ${JSON.stringify(ref.locator)}: no such access key`);
  return found;
}

/** ctx.params.mode: 'deactivate' (default; reversible, keeps the key for evidence) or 'delete'. */
export async function revokeIamKeys(
  kc: AwsKindContext,
  ref: CredentialRef,
  versionIds: readonly string[],
  ctx: StepContext,
): Promise<RevokedVersion[]> {
  const { user } = parseKeyLocator(ref.locator);
  const mode = ctx.params.mode ?? 'deactivate';
  if (mode !== 'deactivate' && mode !== 'delete') {
    throw new UsageError(
      `aws iam-key revoke mode ${JSON.stringify(mode)}: expected "deactivate" or "delete"`,
    );
  }
  const keys = await listUserKeys(kc, user);
  const out: RevokedVersion[] = [];
  for (const keyId of versionIds) {
    const key = keys.find((k) => k.AccessKeyId === keyId);
    let changed = false;
    if (key && mode === 'deactivate' && key.Status !== 'Inactive') {
      await kc.caller.call(
        'iamWrite',
        kc.clients.iam,
        new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: keyId, Status: 'Inactive' }),
        ref.locator,
      );
      changed = true;
    } else if (key && mode === 'delete') {
      try {
        await kc.caller.call(
          'iamWrite',
          kc.clients.iam,
          new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: keyId }),
          ref.locator,
        );
        changed = true;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    // A key that no longer exists is revoked for good.
    out.push({
      versionId: keyId,
      status: changed ? 'revoked' : 'already-revoked',
      revokedAt: kc.now().toISOString(),
    });
    ctx.logger.info(
      { ref: `${ref.instance}:${ref.kind}:${ref.locator}`, versionId: keyId, mode, changed },
      'access key revoked',
    );
  }
  return out;
}

export async function iamKeyActivitySince(
  kc: AwsKindContext,
  ref: CredentialRef,
  since: string,
  versionIds: readonly string[],
): Promise<ActivityEvidence[]> {
  const ids = versionIds.length > 0 ? versionIds : [parseKeyLocator(ref.locator).keyId];
  const sinceMs = Date.parse(since);
  const out: ActivityEvidence[] = [];
  for (const keyId of ids) {
    let used: Awaited<ReturnType<typeof keyLastUsed>>;
    try {
      used = await keyLastUsed(kc, keyId);
    } catch (err) {
      // A deleted key has no last-used record left: no evidence either way.
      if (err instanceof NotFoundError) continue;
      throw err;
    }
    if (!used.at || Date.parse(used.at) < sinceMs) continue;
    out.push({
      versionId: keyId,
      signal: 'GetAccessKeyLastUsed',
      confidence: 'exact',
      lastUsedAt: used.at,
      detail: { serviceName: used.service, region: used.region },
    });
  }
  return out;
}
