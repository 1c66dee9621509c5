/**
 * Secrets Manager version operations: revoke by staging labels (with a tombstone when the
 * version holds AWSCURRENT, ADR 020), reissue with a derived ClientRequestToken (ADR 021),
 * promote, discard, verify, activity.
 */
import { randomBytes } from 'node:crypto';
import type {
  GetSecretValueCommandOutput,
  PutSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { ConflictError, NotFoundError, UsageError } from '../../src/lib/errors.js';
import { sameFingerprint } from '../../src/lib/fingerprint.js';
import { generateSecret } from '../../src/lib/generator.js';
import { scrubError } from '../../src/lib/scrub.js';
import { SecretValue } from '../../src/lib/secret.js';
import type {
  CredentialRef,
  IssuedCredential,
  ReissueContext,
  RevokedVersion,
  StepContext,
  VerifyResult,
} from '../../src/provider.js';
import { type AwsKindContext, iso, requestToken } from './client.js';
import { awsErrorName } from './errors.js';
import { secretsManagerSdk } from './sdk.js';
import { AWSCURRENT, describeSecretRaw, PENDING_STAGE, stagesOf, TOMBSTONE_STAGE } from './secrets.js';

const { GetSecretValueCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand } = secretsManagerSdk();

async function currentStages(kc: AwsKindContext, secretId: string): Promise<Map<string, string[]>> {
  const meta = await describeSecretRaw(kc, secretId);
  if (iso(meta.DeletedDate) !== undefined) {
    throw new ConflictError(
      `aws secret ${JSON.stringify(secretId)} is scheduled for deletion: restore it (or let deletion finish) before changing its versions`,
    );
  }
  return stagesOf(meta.VersionIdsToStages);
}

function moveStage(kc: AwsKindContext, secretId: string, stage: string, from?: string, to?: string) {
  return kc.caller.call(
    'smWrite',
    kc.clients.secretsManager,
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: stage,
      ...(from ? { RemoveFromVersionId: from } : {}),
      ...(to ? { MoveToVersionId: to } : {}),
    }),
    secretId,
  );
}

/** Write a version; a replay with the same token is a no-op on AWS's side. */
function putVersion(
  kc: AwsKindContext,
  secretId: string,
  token: string,
  value: SecretValue,
  stages?: string[],
) {
  return kc.caller.call<PutSecretValueCommandOutput>(
    'smWrite',
    kc.clients.secretsManager,
    new PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: value.reveal(),
      ...(stages ? { VersionStages: stages } : {}),
    }),
    secretId,
  );
}

/**
 * AWS will not simply remove AWSCURRENT: it can only be moved. So a version holding it hands
 * it to a tombstone (a random value that nobody receives), written once per step and version.
 */
async function ensureTombstone(
  kc: AwsKindContext,
  secretId: string,
  versionId: string,
  idempotencyKey: string,
  stages: Map<string, string[]>,
): Promise<void> {
  const token = requestToken(`tombstone:${versionId}`, idempotencyKey);
  if (!stages.has(token)) {
    try {
      const junk = new SecretValue(randomBytes(48).toString('base64url'));
      await putVersion(kc, secretId, token, junk, [AWSCURRENT, TOMBSTONE_STAGE]);
      return;
    } catch (err) {
      // Written by an earlier attempt whose response was lost: fall through and move the label.
      if (awsErrorName(err) !== 'ResourceExistsException') throw err;
    }
  }
  await moveStage(kc, secretId, AWSCURRENT, versionId, token);
}

/** Remove every label from a version so no label serves it. Returns false if it had none. */
async function unlabel(
  kc: AwsKindContext,
  secretId: string,
  versionId: string,
  idempotencyKey: string,
): Promise<boolean> {
  let stages = await currentStages(kc, secretId);
  let labels = stages.get(versionId) ?? [];
  if (labels.length === 0) return false;
  if (labels.includes(AWSCURRENT)) {
    await ensureTombstone(kc, secretId, versionId, idempotencyKey, stages);
    // Moving AWSCURRENT also moved AWSPREVIOUS onto this version: read the labels again.
    stages = await currentStages(kc, secretId);
    labels = stages.get(versionId) ?? [];
  }
  for (const label of labels) {
    if (label === AWSCURRENT)
      throw new ConflictError(`aws secret ${JSON.stringify(secretId)}: AWSCURRENT moved back`);
    await moveStage(kc, secretId, label, versionId);
  }
  return true;
}

export async function revokeSecretVersions(
  kc: AwsKindContext,
  ref: CredentialRef,
  versionIds: readonly string[],
  ctx: StepContext,
): Promise<RevokedVersion[]> {
  const mode = ctx.params.mode ?? 'remove-labels';
  if (mode !== 'remove-labels')
    throw new UsageError(`aws secret revoke mode ${JSON.stringify(mode)} is not supported`);
  const out: RevokedVersion[] = [];
  for (const versionId of versionIds) {
    // The old value is never read here: a read would bump the version's LastAccessedDate and
    // blur the revoked-still-used evidence for the same day.
    const changed = await unlabel(kc, ref.locator, versionId, ctx.idempotencyKey);
    out.push({
      versionId,
      status: changed ? 'revoked' : 'already-revoked',
      revokedAt: kc.now().toISOString(),
    });
    ctx.logger.info(
      { ref: `${ref.instance}:${ref.kind}:${ref.locator}`, versionId, changed },
      'secret version revoked',
    );
  }
  return out;
}

/** Versions that are revocation tombstones now (call before a write that moves AWSCURRENT). */
function tombstonesIn(stages: Map<string, string[]>): Set<string> {
  return new Set([...stages].filter(([, labels]) => labels.includes(TOMBSTONE_STAGE)).map(([id]) => id));
}

/**
 * Strip the labels of tombstones that no longer hold AWSCURRENT, so only the real value is
 * live. `known` matters on moto, whose PutSecretValue replaces all labels of the previous
 * current version with AWSPREVIOUS (AWS moves only AWSCURRENT/AWSPREVIOUS and keeps ours).
 */
async function retireTombstones(kc: AwsKindContext, secretId: string, known: Set<string>): Promise<void> {
  const stages = await currentStages(kc, secretId);
  for (const [id, labels] of stages) {
    if (!(known.has(id) || labels.includes(TOMBSTONE_STAGE)) || labels.includes(AWSCURRENT)) continue;
    for (const label of labels) await moveStage(kc, secretId, label, id);
  }
}

async function readVersion(
  kc: AwsKindContext,
  secretId: string,
  versionId: string,
): Promise<GetSecretValueCommandOutput | undefined> {
  try {
    return await kc.caller.call<GetSecretValueCommandOutput>(
      'smRead',
      kc.clients.secretsManager,
      new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }),
      secretId,
    );
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

function secretOf(out: GetSecretValueCommandOutput): SecretValue {
  if (typeof out.SecretString === 'string') return new SecretValue(out.SecretString);
  const bin = out.SecretBinary;
  return new SecretValue(bin instanceof Uint8Array ? Buffer.from(bin).toString('base64') : '');
}

export async function findIssuedSecret(
  kc: AwsKindContext,
  ref: CredentialRef,
  idempotencyKey: string,
): Promise<IssuedCredential | undefined> {
  const token = requestToken('reissue', idempotencyKey);
  const out = await readVersion(kc, ref.locator, token);
  if (!out) return undefined;
  return {
    versionId: token,
    fingerprint: kc.fingerprint(secretOf(out)),
    issuedAt: iso(out.CreatedDate) ?? kc.now().toISOString(),
    status: 'already-issued',
  };
}

/**
 * ctx.params.stage: 'current' (default; revoke-then-reissue: the new version serves at once)
 * or 'pending' (reissue-then-revoke: staged as NHI_PENDING until promote).
 */
export async function reissueSecret(
  kc: AwsKindContext,
  ref: CredentialRef,
  ctx: ReissueContext,
): Promise<IssuedCredential> {
  const stage = ctx.params.stage ?? 'current';
  if (stage !== 'current' && stage !== 'pending') {
    throw new UsageError(
      `aws secret reissue stage ${JSON.stringify(stage)}: expected "current" or "pending"`,
    );
  }
  if (ctx.generator.type === 'provider') {
    throw new UsageError(
      'aws secret values are generated by nhi-reissue: use a password, hex or base64 generator',
    );
  }
  const earlier = await findIssuedSecret(kc, ref, ctx.idempotencyKey);
  const tombstones = tombstonesIn(await currentStages(kc, ref.locator));
  if (earlier) {
    // Resumed after the write: finish the tidy-up the interrupted call may have missed.
    if (stage === 'current') await retireTombstones(kc, ref.locator, tombstones);
    return earlier;
  }
  const token = requestToken('reissue', ctx.idempotencyKey);
  const value = generateSecret(ctx.generator);
  ctx.inFlight?.add(value);
  try {
    await putVersion(kc, ref.locator, token, value, stage === 'pending' ? [PENDING_STAGE] : undefined);
  } catch (err) {
    // Same token, different value: an earlier call took effect after all (lost response).
    if (awsErrorName(err) !== 'ResourceExistsException') throw scrubError(err, [value]);
    const found = await findIssuedSecret(kc, ref, ctx.idempotencyKey);
    if (found) return found;
    throw scrubError(err, [value]);
  }
  if (stage === 'current') await retireTombstones(kc, ref.locator, tombstones);
  return {
    versionId: token,
    fingerprint: ctx.fingerprint(value),
    issuedAt: kc.now().toISOString(),
    status: 'issued',
  };
}

export async function promoteSecret(
  kc: AwsKindContext,
  ref: CredentialRef,
  issued: IssuedCredential,
): Promise<void> {
  const stages = await currentStages(kc, ref.locator);
  const labels = stages.get(issued.versionId);
  if (!labels)
    throw new NotFoundError(`aws secret ${JSON.stringify(ref.locator)} has no version ${issued.versionId}`);
  if (!labels.includes(AWSCURRENT)) {
    const holder = [...stages].find(([, l]) => l.includes(AWSCURRENT))?.[0];
    await moveStage(kc, ref.locator, AWSCURRENT, holder, issued.versionId);
  }
  if (labels.includes(PENDING_STAGE)) await moveStage(kc, ref.locator, PENDING_STAGE, issued.versionId);
  await retireTombstones(kc, ref.locator, tombstonesIn(stages));
}

/** Same as revoking the new version: no label serves it afterwards (tombstone if it was current). */
export async function discardSecret(
  kc: AwsKindContext,
  ref: CredentialRef,
  issued: IssuedCredential,
  ctx: StepContext,
): Promise<void> {
  await unlabel(kc, ref.locator, issued.versionId, ctx.idempotencyKey);
}

export async function verifySecret(
  kc: AwsKindContext,
  ref: CredentialRef,
  issued: IssuedCredential,
): Promise<VerifyResult> {
  const out = await readVersion(kc, ref.locator, issued.versionId);
  if (!out) return { ok: false, detail: `version ${issued.versionId} does not exist` };
  if (!sameFingerprint(kc.fingerprint(secretOf(out)), issued.fingerprint)) {
    return { ok: false, detail: `version ${issued.versionId} does not hold the issued value` };
  }
  const labels = (out.VersionStages ?? []).filter((l) => typeof l === 'string');
  if (labels.length === 0) return { ok: false, detail: `version ${issued.versionId} has no staging label` };
  return {
    ok: true,
    detail: `version ${issued.versionId} holds the issued value, labels ${labels.join(',')}`,
  };
}
