/**
 * `nhi approve` / `nhi deny`: check the owner may decide, sign (or accept a signed proof),
 * and record the decision, its audit entry and the request's new status in one
 * transaction. Every refusal is a PolicyError and leaves an `approval.refused` entry.
 */
import { createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { privateKeyFromPem } from '../audit/keys.js';
import type { AuditLog } from '../audit/log.js';
import type { ParsedConfig } from '../config/schema.js';
import { PolicyError, UsageError } from '../lib/errors.js';
import { SecretValue } from '../lib/secret.js';
import type { Notifier, NotifyOutcome } from '../notify/notifier.js';
import type { Store, StoreTx } from '../store/store.js';
import type { ApprovalRecord, Decision, RecoveryRequest, RequestStatus } from '../store/types.js';
import { notifyDecision } from './notifications.js';
import {
  type ApprovalProof,
  approvalPayload,
  asProof,
  parseSignedPayload,
  signDecision,
  verifyProof,
} from './proof.js';
import { evaluateApprovals, type PolicyConfig, tierPolicy } from './quorum.js';
import { recordRefusal } from './refusal.js';
import type { OwnerRegistry } from './registry.js';

export interface DecisionDeps {
  store: Store;
  audit: AuditLog;
  config: PolicyConfig & Pick<ParsedConfig, 'notify'>;
  notifier: Notifier;
  registry: OwnerRegistry;
}

export type DecisionInput = {
  requestId: string;
  principal: string;
  decision: Decision;
  comment?: string;
  now: Date;
} & (
  | {
      /** The owner's Ed25519 private key (PEM held as a SecretValue, or a KeyObject). Used once, here. */
      privateKey: KeyObject | SecretValue;
      /** The plan digest the owner reviewed (`--digest`); defaults to the request's current digest. */
      planDigest?: string;
    }
  | {
      /** A decision signed elsewhere (later: a web page); its expiry comes from the signed payload. */
      proof: ApprovalProof;
    }
);

export interface DecisionOutcome {
  approval: ApprovalRecord;
  requestStatus: RequestStatus;
  tier: RecoveryRequest['tier'];
  quorum: { have: number; need: number; approvers: string[] };
  /** Set when this approval completed a quorum on a tier with a hold: the run may start at or after it. */
  holdUntil?: string;
  auditSeq: number;
  notified: NotifyOutcome[];
  /** A notification problem never undoes a recorded decision; it is reported here. */
  notifyError?: string;
}

const DECIDABLE: ReadonlySet<RequestStatus> = new Set(['pending', 'approved']);

export async function recordDecision(deps: DecisionDeps, input: DecisionInput): Promise<DecisionOutcome> {
  // A malformed key is a usage problem (exit 2), not a policy refusal; check it before anything else.
  const privateKey = 'privateKey' in input ? toPrivateKey(input.privateKey) : undefined;
  let result: Omit<DecisionOutcome, 'notified'> & { request: RecoveryRequest };
  try {
    result = await deps.store.transaction((tx) => decideInTx(deps, tx, input, privateKey));
  } catch (error) {
    if (error instanceof PolicyError) {
      await recordRefusal(
        deps,
        error,
        {
          type: 'approval.refused',
          actor: input.principal,
          requestId: input.requestId,
          data: { principal: input.principal, decision: input.decision },
        },
        input.now,
      );
    }
    throw error;
  }
  const { request, ...outcome } = result;
  try {
    const notified = await notifyDecision(deps.notifier, deps.config, {
      request,
      approval: outcome.approval,
      quorum: outcome.quorum,
      ...(outcome.holdUntil ? { holdUntil: outcome.holdUntil } : {}),
    });
    return { ...outcome, notified };
  } catch (error) {
    return { ...outcome, notified: [], notifyError: (error as Error).message };
  }
}

async function decideInTx(
  deps: DecisionDeps,
  tx: StoreTx,
  input: DecisionInput,
  privateKey: KeyObject | undefined,
): Promise<Omit<DecisionOutcome, 'notified'> & { request: RecoveryRequest }> {
  const { principal, decision, now, requestId } = input;
  const refuse = (rule: string, message: string): never => {
    throw new PolicyError(rule, message, { context: { requestId, principal, rule } });
  };
  const request = await tx.requests.get(requestId);
  if (!request) return refuse('unknown-request', `no request ${requestId}`);
  if (request.status === 'denied')
    refuse('denied', `request ${requestId} was already denied; file a new request`);
  if (request.status === 'expired')
    refuse('request-expired', `request ${requestId} expired at ${request.expiresAt}`);
  if (!DECIDABLE.has(request.status)) {
    refuse('not-pending', `request ${requestId} is ${request.status}; decisions are taken before it runs`);
  }
  if (request.status === 'pending' && !(Date.parse(request.expiresAt) > now.getTime())) {
    refuse('request-expired', `request ${requestId} expired at ${request.expiresAt}; file a new request`);
  }
  const registered = deps.registry.principal(principal);
  if (!registered)
    refuse('unknown-principal', `"${principal}" is not a registered principal (owners.principals)`);
  if (principal === request.requester) {
    refuse(
      'self-approval',
      `${principal} filed request ${requestId} and cannot ${decision} it (separation of duties)`,
    );
  }
  const owners = deps.registry.registeredOwners(request.owners);
  if (owners.length === 0) {
    refuse(
      'no-owner',
      `${request.ref} has no registered owner; it cannot be approved, only run by break-glass`,
    );
  }
  if (!owners.includes(principal)) {
    refuse('not-owner', `${principal} is not an owner of ${request.ref} (owners: ${owners.join(', ')})`);
  }

  const policy = tierPolicy(deps.config, request.tier);
  const { proof, expiresAt } = proofFor(input, request, privateKey, policy.approvalTtlHours, refuse);
  const expected = approvalPayload({
    requestId,
    planDigest: request.planDigest,
    decision,
    expiresAt,
    principal,
  });
  const check = verifyProof(proof, expected, deps.registry);
  if (!check.ok) refuse(check.rule, `the ${decision} by ${principal} does not verify: ${check.reason}`);

  const existing = await tx.approvals.forRequest(requestId);
  const before = evaluateApprovals({
    request,
    approvals: existing,
    now,
    config: deps.config,
    registry: deps.registry,
  });
  if (decision === 'approve' && before.approvers.includes(principal)) {
    refuse(
      'duplicate-approval',
      `${principal} has already approved request ${requestId}; an owner counts once`,
    );
  }

  const approval: ApprovalRecord = {
    id: `apr_${randomUUID()}`,
    requestId,
    principal,
    decision,
    planDigest: request.planDigest,
    createdAt: now.toISOString(),
    expiresAt,
    ...(input.comment ? { comment: input.comment } : {}),
    proof: { ...proof },
  };
  await tx.approvals.insert(approval);
  const after = evaluateApprovals({
    request,
    approvals: [...existing, approval],
    now,
    config: deps.config,
    registry: deps.registry,
  });
  const status: RequestStatus = decision === 'deny' ? 'denied' : after.met ? 'approved' : request.status;
  if (status !== request.status)
    await tx.requests.update(requestId, { status, updatedAt: now.toISOString() });
  const holdUntil = decision === 'approve' && after.holdUntil ? after.holdUntil.toISOString() : undefined;
  const quorum = { have: after.counted.length, need: after.need, approvers: after.approvers };
  const entry = await deps.audit.record(tx.audit, {
    type: 'approval.recorded',
    actor: principal,
    subject: requestId,
    data: {
      approvalId: approval.id,
      requestId,
      ref: request.ref,
      tier: request.tier,
      principal,
      decision,
      planDigest: request.planDigest,
      expiresAt,
      ...(input.comment ? { comment: input.comment } : {}),
      proof: { ...proof },
      // The key as registered today, so the signature can be re-verified offline years later.
      publicKey: check.ok ? check.publicKeyPem : registered?.publicKeyPem,
      requestStatus: status,
      quorum,
      ...(holdUntil ? { holdUntil } : {}),
    },
  });
  return {
    request: { ...request, status },
    approval,
    requestStatus: status,
    tier: request.tier,
    quorum,
    ...(holdUntil ? { holdUntil } : {}),
    auditSeq: entry.seq,
  };
}

function proofFor(
  input: DecisionInput,
  request: RecoveryRequest,
  privateKey: KeyObject | undefined,
  ttlHours: number,
  refuse: (rule: string, message: string) => never,
): { proof: ApprovalProof; expiresAt: string } {
  const maxExpiry = input.now.getTime() + ttlHours * 3_600_000;
  if ('proof' in input) {
    const proof = asProof(input.proof);
    const signed = proof && parseSignedPayload(proof.signedPayload);
    if (!proof || !signed) return refuse('bad-signature', 'the proof is not a signed nhi-approval payload');
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
  });
  return { proof: signDecision(privateKey as KeyObject, payload), expiresAt };
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
