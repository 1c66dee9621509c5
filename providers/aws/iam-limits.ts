/**
 * What a recovery of an IAM access key must respect and what it reaches beyond the key
 * (ADR 024): IAM's 2-access-keys-per-user limit, planned before any side effect (an
 * already-Inactive key is deleted by the runbook's `make-room` step, or the plan refuses with
 * the fix), and the STS sessions minted from the key, cut off by an inline deny policy.
 */
import type { AccessKeyMetadata } from '@aws-sdk/client-iam';
import { ConflictError, NotFoundError, PolicyError } from '../../src/lib/errors.js';
import type {
  CredentialRef,
  DerivedCredential,
  DerivedRevocation,
  DescribeOptions,
  IdentityRecord,
  ProviderLimit,
  RevokedVersion,
  StepContext,
} from '../../src/provider.js';
import type { AwsKindContext } from './client.js';
import { describeIamKey, listUserKeys, parseKeyLocator, revokeIamKeys } from './iam-keys.js';
import { PENDING_TAG } from './iam-reissue.js';
import { iamSdk } from './sdk.js';

const { DeleteAccessKeyCommand, PutUserPolicyCommand } = iamSdk();

export const KEYS_PER_USER = 2;
export const KEY_LIMIT_NAME = 'iam.access-keys-per-user';
/** One per user, overwritten by every recovery (PutUserPolicy replaces a same-named policy). */
export const SESSION_POLICY = 'nhi-revoke-sessions';

type Runbook = NonNullable<DescribeOptions['runbook']>;

/** How many keys the user holds when reissue calls CreateAccessKey, under this runbook. */
function keysAtReissue(runbook: Runbook, held: number): number {
  const revoke = runbook.steps.findIndex((s) => s.type === 'revoke');
  const reissue = runbook.steps.findIndex((s) => s.type === 'reissue');
  const mode = (runbook.steps[revoke]?.params.mode as string | undefined) ?? 'deactivate';
  // Only a delete that runs before reissue frees the target's slot; a deactivated key still counts.
  return revoke >= 0 && revoke < reissue && mode === 'delete' ? held - 1 : held;
}

/**
 * The 2-key limit as the plan shows it. With the runbook: which already-Inactive key
 * `make-room` deletes, or (another Active key in the way) the fix the planner refuses with.
 */
export function keyLimit(
  user: string,
  keys: readonly AccessKeyMetadata[],
  target: string,
  runbook: Runbook | undefined,
): ProviderLimit {
  const sorted = [...keys].sort((a, b) => String(a.AccessKeyId).localeCompare(String(b.AccessKeyId)));
  const listed = sorted.map(
    (k) => `${k.AccessKeyId} ${k.Status}${k.AccessKeyId === target ? ', target' : ''}`,
  );
  const detail = `${user} holds ${keys.length} of ${KEYS_PER_USER} access keys (${listed.join('; ')})`;
  const limit: ProviderLimit = { name: KEY_LIMIT_NAME, limit: KEYS_PER_USER, current: keys.length, detail };
  if (!runbook) return limit;
  const over = keysAtReissue(runbook, keys.length) + 1 - KEYS_PER_USER;
  if (over <= 0) return limit;
  const others = sorted.filter((k) => k.AccessKeyId !== target);
  const inactive = others.filter((k) => k.Status === 'Inactive').map((k) => k.AccessKeyId as string);
  if (inactive.length >= over) {
    const remove = inactive.slice(0, over);
    return {
      ...limit,
      detail: `${detail}: make-room deletes ${remove.join(', ')} (already Inactive) first`,
      makeRoom: remove,
    };
  }
  const active = others.filter((k) => k.Status !== 'Inactive').map((k) => k.AccessKeyId as string);
  return {
    ...limit,
    fix:
      `the new key would be a third: the other key ${active.join(', ')} is Active. ` +
      `Check nothing still uses it, deactivate it (aws iam update-access-key --user-name ${user} --access-key-id ${active[0]} --status Inactive) ` +
      `so make-room deletes it, or recover with a runbook whose revoke mode is "delete"; then plan again`,
  };
}

export function iamKeyDerived(user: string): DerivedCredential[] {
  return [
    {
      kind: 'aws-sts-session',
      action: 'revoke',
      detail:
        `sessions minted with the key (GetSessionToken, GetFederationToken; up to 36 h): revoke puts the inline policy ` +
        `${SESSION_POLICY} on user ${user}, denying every request signed with a session issued before the revoke time ` +
        '(aws:TokenIssueTime); a later recovery replaces it',
    },
    {
      kind: 'aws-role-session',
      action: 'out-of-reach',
      detail:
        'role sessions assumed with the key (sts:AssumeRole) follow the role\'s policies, not the user\'s: revoke them on each role the user may assume (IAM "Revoke active sessions")',
    },
  ];
}

/** The AWS-documented "revoke older sessions" statement, with second precision as AWS writes it. */
export function sessionDenyDocument(before: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': before } },
      },
    ],
  });
}

/**
 * Cut off every session minted before now. Rounded UP to the second: a session issued in the
 * revoke's own second is denied too (nobody legitimate holds a session of the new key yet).
 * Requests signed with a long-term key carry no aws:TokenIssueTime, so the new key is unaffected.
 */
export async function revokeSessions(kc: AwsKindContext, user: string): Promise<DerivedRevocation> {
  const before = `${new Date(Math.ceil(kc.now().getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
  await kc.caller.call(
    'iamWrite',
    kc.clients.iam,
    new PutUserPolicyCommand({
      UserName: user,
      PolicyName: SESSION_POLICY,
      PolicyDocument: sessionDenyDocument(before),
    }),
    user,
  );
  return {
    kind: 'aws-sts-session',
    name: `${user}/${SESSION_POLICY}`,
    before,
    detail: `inline policy ${SESSION_POLICY} on ${user} denies sessions issued before ${before}`,
  };
}

/** The `make-room` step: delete the already-Inactive keys the plan named; never an Active one. */
export async function makeRoomIamKeys(
  kc: AwsKindContext,
  ref: CredentialRef,
  versionIds: readonly string[],
  ctx: StepContext,
): Promise<RevokedVersion[]> {
  const { user } = parseKeyLocator(ref.locator);
  const keys = await listUserKeys(kc, user);
  const out: RevokedVersion[] = [];
  for (const keyId of versionIds) {
    const key = keys.find((k) => k.AccessKeyId === keyId);
    let changed = false;
    if (key?.Status === 'Active') {
      // Someone re-enabled it since the plan (and the drift check): it may be in use now.
      throw new ConflictError(
        `aws iam-key ${user}/${keyId} is Active again; make-room deletes only Inactive keys — plan again`,
      );
    }
    if (key) {
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
    out.push({
      versionId: keyId,
      status: changed ? 'revoked' : 'already-revoked',
      revokedAt: kc.now().toISOString(),
    });
    ctx.logger.info(
      { user, accessKeyId: keyId, changed },
      'inactive access key deleted to stay within the IAM key limit',
    );
  }
  return out;
}

/**
 * describe plus what a plan needs: the key limit (resolved against the runbook when given)
 * and the derived sessions. An unfinished reissue of another run on the same user (its
 * pending tag) refuses the plan: reissue would stop on it after revoking.
 */
export async function describeIamKeyPlanned(
  kc: AwsKindContext,
  ref: CredentialRef,
  opts?: DescribeOptions,
): Promise<IdentityRecord> {
  const rec = await describeIamKey(kc, ref);
  const { user, keyId } = parseKeyLocator(ref.locator);
  if (opts?.runbook && rec.tags[PENDING_TAG] !== undefined) {
    throw new PolicyError(
      'pending-reissue',
      `aws iam user ${JSON.stringify(user)} carries tag ${PENDING_TAG}: a reissue by an earlier run is unfinished. ` +
        `Resume that run (nhi status lists it); if no run holds it, check the user's keys, then remove the tag ` +
        `(aws iam untag-user --user-name ${user} --tag-keys ${PENDING_TAG}) and plan again`,
    );
  }
  const keys = await listUserKeys(kc, user);
  return { ...rec, limits: [keyLimit(user, keys, keyId, opts?.runbook)], derived: iamKeyDerived(user) };
}

/** Revoke the keys, then the sessions they minted; the deny policy is recorded on each revoked key. */
export async function revokeIamKeysAndSessions(
  kc: AwsKindContext,
  ref: CredentialRef,
  versionIds: readonly string[],
  ctx: StepContext,
): Promise<RevokedVersion[]> {
  const revoked = await revokeIamKeys(kc, ref, versionIds, ctx);
  if (revoked.length === 0) return revoked;
  // Also on 'already-revoked' (a resumed step): the policy may not have been written before the crash.
  const sessions = await revokeSessions(kc, parseKeyLocator(ref.locator).user);
  ctx.logger.info({ ref: ref.locator, policy: sessions.name, before: sessions.before }, 'sessions revoked');
  return revoked.map((r) => ({ ...r, derived: [sessions] }));
}
