/**
 * Reissue of an IAM access key (ADR 022). IAM has no idempotency token, so the attempt is
 * recorded on the user (tag `nhi-pending-issue`) before CreateAccessKey, and the new key pair
 * is delivered into a Secrets Manager secret with a ClientRequestToken derived from the
 * idempotency key. The delivery secret's version (id == token) is the proof that a reissue
 * took effect; a key created but never delivered is an orphan and is removed on resume.
 * Writing and reading the delivery secret is in iam-delivery.ts.
 */
import type { CreateAccessKeyCommandOutput } from '@aws-sdk/client-iam';
import { sha256Hex } from '../../src/lib/canonical.js';
import { ConflictError, NotFoundError, ProviderError } from '../../src/lib/errors.js';
import { sameFingerprint } from '../../src/lib/fingerprint.js';
import { scrubError } from '../../src/lib/scrub.js';
import { SecretValue } from '../../src/lib/secret.js';
import type { CredentialRef, IssuedCredential, ReissueContext, VerifyResult } from '../../src/provider.js';
import { type AwsKindContext, iso, requestToken } from './client.js';
import { DELIVERY_KIND, deliver, deliverySecretName, parseDelivered, readDelivery } from './iam-delivery.js';
import { listUserKeys, parseKeyLocator, userTags } from './iam-keys.js';
import { iamSdk } from './sdk.js';

const {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} = iamSdk();

export const PENDING_TAG = 'nhi-pending-issue';

function pendingMark(idempotencyKey: string): string {
  return `k=${sha256Hex(idempotencyKey).slice(0, 40)}`;
}

/** Tag value: a hash of the idempotency key and the key ids that existed before (IAM tag charset). */
export function pendingTagValue(idempotencyKey: string, keyIdsBefore: readonly string[]): string {
  return `${pendingMark(idempotencyKey)} before=${keyIdsBefore.join('+')}`;
}

function parsePending(value: string): { mark: string; before: string[] } {
  const [mark = '', before = ''] = value.split(' before=');
  return { mark, before: before.split('+').filter(Boolean) };
}

export async function findIssuedIamKey(
  kc: AwsKindContext,
  ref: CredentialRef,
  idempotencyKey: string,
): Promise<IssuedCredential | undefined> {
  const { user } = parseKeyLocator(ref.locator);
  const secretName = deliverySecretName(kc, user);
  const out = await readDelivery(kc, secretName, { VersionId: requestToken('reissue', idempotencyKey) });
  if (!out) return undefined;
  const { keyId, secret } = parseDelivered(out, secretName);
  return {
    versionId: keyId,
    fingerprint: kc.fingerprint(secret),
    issuedAt: iso(out.CreatedDate) ?? kc.now().toISOString(),
    status: 'already-issued',
    delivery: { kind: DELIVERY_KIND, location: secretName },
  };
}

async function clearPending(kc: AwsKindContext, user: string): Promise<void> {
  await kc.caller.call(
    'iamWrite',
    kc.clients.iam,
    new UntagUserCommand({ UserName: user, TagKeys: [PENDING_TAG] }),
    user,
  );
}

/**
 * findIssued for the engine (a resumed reissue step): a delivered key pair means the reissue
 * took effect, so it also finishes what that reissue left — its own pending tag — exactly as
 * the first-time path does; otherwise the next recovery of the user would stop on the tag.
 */
export async function settleIssuedIamKey(
  kc: AwsKindContext,
  ref: CredentialRef,
  idempotencyKey: string,
): Promise<IssuedCredential | undefined> {
  const issued = await findIssuedIamKey(kc, ref, idempotencyKey);
  if (!issued) return undefined;
  const { user } = parseKeyLocator(ref.locator);
  const tag = (await userTags(kc, user))[PENDING_TAG];
  if (tag !== undefined && parsePending(tag).mark === pendingMark(idempotencyKey))
    await clearPending(kc, user);
  return issued;
}

async function removeKey(kc: AwsKindContext, user: string, keyId: string): Promise<void> {
  const iam = kc.clients.iam;
  await kc.caller.call(
    'iamWrite',
    iam,
    new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: keyId, Status: 'Inactive' }),
    user,
  );
  await kc.caller.call(
    'iamWrite',
    iam,
    new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: keyId }),
    user,
  );
}

export async function reissueIamKey(
  kc: AwsKindContext,
  ref: CredentialRef,
  ctx: ReissueContext,
): Promise<IssuedCredential> {
  const { user } = parseKeyLocator(ref.locator);
  const secretName = deliverySecretName(kc, user);
  const mark = pendingMark(ctx.idempotencyKey);
  const iam = kc.clients.iam;
  const tags = await userTags(kc, user);
  const pending = tags[PENDING_TAG] === undefined ? undefined : parsePending(tags[PENDING_TAG]);

  const earlier = await findIssuedIamKey(kc, ref, ctx.idempotencyKey);
  if (earlier) {
    if (pending?.mark === mark) await clearPending(kc, user);
    return earlier;
  }
  if (pending && pending.mark !== mark) {
    throw new ConflictError(
      `aws iam user ${JSON.stringify(user)} has an unfinished reissue by another run (tag ${PENDING_TAG}); resume or abandon that run first`,
    );
  }
  let keys = await listUserKeys(kc, user);
  if (pending) {
    // Resumed after CreateAccessKey took effect but before delivery: that key's secret is
    // lost forever, so the key is useless and dangerous. Remove it, then create again.
    for (const orphan of keys.filter((k) => k.AccessKeyId && !pending.before.includes(k.AccessKeyId))) {
      ctx.logger.warn(
        { user, accessKeyId: orphan.AccessKeyId },
        'removing an undelivered access key left by an interrupted reissue',
      );
      await removeKey(kc, user, orphan.AccessKeyId as string);
    }
    keys = keys.filter((k) => k.AccessKeyId && pending.before.includes(k.AccessKeyId));
  }
  if (keys.length >= 2) {
    throw new ConflictError(
      `aws iam user ${JSON.stringify(user)} already has 2 access keys (the IAM limit): delete one (revoke mode "delete") before reissue`,
    );
  }
  if (!pending) {
    const before = keys.map((k) => k.AccessKeyId as string);
    await kc.caller.call(
      'iamWrite',
      iam,
      new TagUserCommand({
        UserName: user,
        Tags: [{ Key: PENDING_TAG, Value: pendingTagValue(ctx.idempotencyKey, before) }],
      }),
      user,
    );
  }

  const created = await kc.caller.call<CreateAccessKeyCommandOutput>(
    'iamWrite',
    iam,
    new CreateAccessKeyCommand({ UserName: user }),
    user,
  );
  const keyId = created.AccessKey?.AccessKeyId;
  const secret = new SecretValue(created.AccessKey?.SecretAccessKey ?? '');
  if (created.AccessKey) created.AccessKey.SecretAccessKey = undefined;
  if (!keyId || secret.reveal() === '')
    throw new ProviderError(`aws CreateAccessKey ${JSON.stringify(user)}: no key in the response`);
  kc.faults.crashAt('aws.iam-key:after-create');

  const pair = new SecretValue(JSON.stringify({ AccessKeyId: keyId, SecretAccessKey: secret.reveal() }));
  // Both go out in the delivery write: no error text of this step may carry either.
  ctx.inFlight?.add(secret, pair);
  try {
    await deliver(kc, secretName, requestToken('reissue', ctx.idempotencyKey), pair, tags);
  } catch (err) {
    // Undeliverable key: remove it now if we can; otherwise the pending tag lets resume do it.
    await removeKey(kc, user, keyId).catch(() => undefined);
    throw scrubError(err, [secret, pair]);
  }
  kc.faults.crashAt('aws.iam-key:after-delivery');
  await clearPending(kc, user);
  return {
    versionId: keyId,
    fingerprint: ctx.fingerprint(secret),
    issuedAt: kc.now().toISOString(),
    status: 'issued',
    delivery: { kind: DELIVERY_KIND, location: secretName },
  };
}

export async function verifyIamKey(
  kc: AwsKindContext,
  ref: CredentialRef,
  issued: IssuedCredential,
): Promise<VerifyResult> {
  const { user } = parseKeyLocator(ref.locator);
  const key = (await listUserKeys(kc, user)).find((k) => k.AccessKeyId === issued.versionId);
  if (!key) return { ok: false, detail: `access key ${issued.versionId} does not exist` };
  if (key.Status !== 'Active')
    return { ok: false, detail: `access key ${issued.versionId} is ${String(key.Status)}` };
  const secretName = issued.delivery?.location ?? deliverySecretName(kc, user);
  const out = await readDelivery(kc, secretName, { VersionStage: 'AWSCURRENT' });
  if (!out) return { ok: false, detail: `delivery secret ${secretName} is missing` };
  const delivered = parseDelivered(out, secretName);
  if (delivered.keyId !== issued.versionId) {
    return {
      ok: false,
      detail: `delivery secret ${secretName} serves access key ${delivered.keyId}, not ${issued.versionId}`,
    };
  }
  if (!sameFingerprint(kc.fingerprint(delivered.secret), issued.fingerprint)) {
    return { ok: false, detail: `delivery secret ${secretName} does not hold the issued secret access key` };
  }
  return { ok: true, detail: `access key ${issued.versionId} is Active and delivered to ${secretName}` };
}

/** Remove an unverified new key. The delivery secret keeps a dead pair, which is harmless. */
export async function discardIamKey(
  kc: AwsKindContext,
  ref: CredentialRef,
  issued: IssuedCredential,
): Promise<void> {
  const { user } = parseKeyLocator(ref.locator);
  try {
    await removeKey(kc, user, issued.versionId);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}
