/**
 * The checks a decision passes whether it is taken before the run or is a retrospective review
 * of a break-glass run: who may decide, and the signed proof (signed here with the owner's key,
 * or accepted from elsewhere) and how long it may stand.
 */
import { createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { privateKeyFromPem } from '../../audit/keys.js';
import { UsageError } from '../../lib/errors.js';
import { SecretValue } from '../../lib/secret.js';
import type { ApprovalRecord, Decision, DecisionPurpose, RecoveryRequest } from '../../store/types.js';
import type { OwnerRegistry, RegisteredPrincipal } from '../owners/owner-registry.js';
import {
  type ApprovalProof,
  approvalPayload,
  asProof,
  requestFields,
  signDecision,
  signedDecisionFor,
  verifyProof,
} from '../signing/proof.js';
import type { DecisionInput } from './decision-types.js';

/** Throws the PolicyError for a broken rule; each caller adds its own context. */
export type Refuse = (rule: string, message: string) => never;

/** Registered, not the requester, an owner of the target: the checks every decision passes. */
export function checkDecider({
  registry,
  request,
  principal,
  decision,
  refuse,
  noOwnerMessage,
  executor,
}: {
  registry: OwnerRegistry;
  request: RecoveryRequest;
  principal: string;
  decision: Decision;
  refuse: Refuse;
  noOwnerMessage: string;
  /** For a retrospective review: the break-glass executor, who may not review their own run. */
  executor?: string;
}): RegisteredPrincipal {
  const registered = registry.principal(principal);
  if (!registered)
    return refuse('unknown-principal', `"${principal}" is not a registered principal (owners.principals)`);
  if (principal === request.requester) {
    refuse(
      'self-approval',
      `${principal} filed request ${request.id} and cannot ${decision} it (separation of duties)`,
    );
  }
  if (executor !== undefined && principal === executor) {
    refuse(
      'break-glass-executor',
      `${principal} executed the break-glass run of request ${request.id} and cannot review it (separation of duties)`,
    );
  }
  const owners = registry.registeredOwners(request.owners);
  if (owners.length === 0) refuse('no-owner', noOwnerMessage);
  if (!owners.includes(principal)) {
    refuse('not-owner', `${principal} is not an owner of ${request.ref} (owners: ${owners.join(', ')})`);
  }
  return registered;
}

/**
 * The signed proof of this decision and its expiry: signed here with the owner's key, or a proof
 * signed elsewhere, refused when it has expired or stands longer than the tier allows.
 */
export function proofFor({
  input,
  request,
  privateKey,
  ttlHours,
  purpose,
  refuse,
}: {
  input: DecisionInput;
  request: RecoveryRequest;
  privateKey: KeyObject | undefined;
  /** The tier's approval lifetime: a decision may not stand longer. */
  ttlHours: number;
  purpose: DecisionPurpose | undefined;
  refuse: Refuse;
}): { proof: ApprovalProof; expiresAt: string } {
  const maxExpiry = input.now.getTime() + ttlHours * 3_600_000;
  if ('proof' in input) {
    const proof = asProof(input.proof);
    if (!proof) return refuse('bad-signature', 'the proof is not a signed nhi-approval payload');
    const view = signedDecisionFor(proof, request.id);
    if (!view.ok) return refuse('bad-signature', view.reason);
    const signed = view.payload;
    const expires = Date.parse(signed.expiresAt);
    if (!(expires > input.now.getTime()))
      return refuse('approval-expired', `the signed decision expired at ${signed.expiresAt}`);
    if (expires > maxExpiry) {
      return refuse(
        'approval-ttl',
        `the signed decision stands until ${signed.expiresAt}, longer than the ${ttlHours} h the ${request.tier} tier allows`,
      );
    }
    return { proof, expiresAt: signed.expiresAt };
  }
  const expiresAt = new Date(maxExpiry).toISOString();
  const payload = approvalPayload({
    requestId: request.id,
    planDigest: input.planDigest ?? request.planDigest,
    decision: input.decision,
    expiresAt,
    principal: input.principal,
    ...(purpose ? { purpose } : {}),
    ...requestFields(request),
  });
  return { proof: signDecision(privateKey as KeyObject, payload), expiresAt };
}

/**
 * proofFor, then the proof verified against what this request expects of this principal's
 * decision (the payload rebuilt from the request, never from the proof): one check for
 * pre-run decisions and retrospective reviews alike.
 */
export function verifiedProof(
  o: Parameters<typeof proofFor>[0] & { registry: OwnerRegistry; what: string },
): { proof: ApprovalProof; expiresAt: string } {
  const { proof, expiresAt } = proofFor(o);
  const expected = approvalPayload({
    requestId: o.request.id,
    planDigest: o.request.planDigest,
    decision: o.input.decision,
    expiresAt,
    principal: o.input.principal,
    ...(o.purpose ? { purpose: o.purpose } : {}),
    ...requestFields(o.request),
  });
  const check = verifyProof(proof, expected, o.registry);
  if (!check.ok)
    o.refuse(check.rule, `the ${o.what} by ${o.input.principal} does not verify: ${check.reason}`);
  return { proof, expiresAt };
}

/** An Ed25519 private key, or a UsageError that names no key material. */
export function toPrivateKey(key: KeyObject | SecretValue): KeyObject {
  if (key instanceof SecretValue) {
    try {
      return privateKeyFromPem(key, 'the key file');
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new UsageError(
      `expected an Ed25519 private key, got a ${key.type} ${key.asymmetricKeyType ?? ''} key`,
    );
  }
  // Touch the public half so a broken KeyObject fails here, not halfway through a transaction.
  createPublicKey(key);
  return key;
}

/** The stored row for a decision or a review: what was signed, by whom, until when. */
export function approvalRecord(fields: {
  requestId: string;
  principal: string;
  decision: Decision;
  planDigest: string;
  now: Date;
  expiresAt: string;
  comment?: string | undefined;
  purpose?: DecisionPurpose;
  proof: ApprovalProof;
}): ApprovalRecord {
  return {
    id: `apr_${randomUUID()}`,
    requestId: fields.requestId,
    principal: fields.principal,
    decision: fields.decision,
    planDigest: fields.planDigest,
    createdAt: fields.now.toISOString(),
    expiresAt: fields.expiresAt,
    ...(fields.comment ? { comment: fields.comment } : {}),
    ...(fields.purpose ? { purpose: fields.purpose } : {}),
    proof: { ...fields.proof },
  };
}

/**
 * The claim fields every signed-decision audit entry carries (approval.recorded and
 * review.recorded alike), so the offline checker in audit-claims.ts reads one shape.
 * `publicKey` is the key as registered today: the signature can be re-verified years later.
 */
export function signedDecisionFields(
  approval: ApprovalRecord,
  request: Pick<RecoveryRequest, 'ref' | 'tier' | 'requester' | 'reason' | 'expiresAt'>,
  publicKey: string,
): Record<string, unknown> {
  return {
    approvalId: approval.id,
    requestId: approval.requestId,
    ref: request.ref,
    tier: request.tier,
    principal: approval.principal,
    decision: approval.decision,
    planDigest: approval.planDigest,
    expiresAt: approval.expiresAt,
    // Signed with the decision (proof.ts): re-verified offline from the entry alone.
    requester: request.requester,
    reason: request.reason,
    requestExpiresAt: request.expiresAt,
    ...(approval.comment ? { comment: approval.comment } : {}),
    proof: { ...approval.proof },
    publicKey,
  };
}
