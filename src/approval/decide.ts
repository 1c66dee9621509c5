/**
 * `nhi approve` / `nhi deny`: check the owner may decide, sign (or accept a signed proof),
 * and record the decision, its audit entry and the request's new status in one
 * transaction. Every refusal is a PolicyError and leaves an `approval.refused` entry.
 *
 * On a request whose break-glass run has started (reviewRequired, or already reviewed), the
 * same command records the owner's **retrospective review** instead: approve endorses the
 * break-glass, deny disputes it. The signed payload then carries
 * `purpose: 'retrospective-review'`, so a review and a pre-run approval never stand in for
 * each other; the audit entry is `review.recorded`.
 */
import { createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { privateKeyFromPem } from '../audit/keys.js';
import type { AuditLog } from '../audit/log.js';
import type { ParsedConfig } from '../config/schema.js';
import { PolicyError, UsageError } from '../lib/errors.js';
import { SecretValue } from '../lib/secret.js';
import type { Notifier, NotifyOutcome } from '../notify/notifier.js';
import type { Store, StoreTx } from '../store/store.js';
import type {
  ApprovalRecord,
  Decision,
  DecisionPurpose,
  RecoveryRequest,
  RequestStatus,
  RetrospectiveReview,
  RunRecord,
} from '../store/types.js';
import { notifyDecision, notifyReview } from './notifications.js';
import {
  type ApprovalProof,
  approvalPayload,
  asProof,
  parseSignedPayload,
  purposeLabel,
  REVIEW_PURPOSE,
  signDecision,
  verifyProof,
} from './proof.js';
import { evaluateApprovals, type PolicyConfig, tierPolicy } from './quorum.js';
import { recordRefusal } from './refusal.js';
import type { OwnerRegistry, RegisteredPrincipal } from './registry.js';

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
  /** Pre-run quorum; for a retrospective review, the break-glass run's (no approvers). */
  quorum: { have: number; need: number; approvers: string[] };
  /** Set when the decision was a retrospective review of a break-glass run. */
  review?: RetrospectiveReview;
  /** Set when this approval completed a quorum on a tier with a hold: the run may start at or after it. */
  holdUntil?: string;
  auditSeq: number;
  notified: NotifyOutcome[];
  /** A notification problem never undoes a recorded decision; it is reported here. */
  notifyError?: string;
}

const DECIDABLE: ReadonlySet<RequestStatus> = new Set(['pending', 'approved']);
/** A request whose run has started or finished: decisions on it can only be retrospective reviews. */
const REVIEWABLE: ReadonlySet<RequestStatus> = new Set(['running', 'completed', 'failed', 'needs-attention']);

type TxOutcome = Omit<DecisionOutcome, 'notified'> & { request: RecoveryRequest; run?: RunRecord };
type Refuse = (rule: string, message: string) => never;

export async function recordDecision(deps: DecisionDeps, input: DecisionInput): Promise<DecisionOutcome> {
  // A malformed key is a usage problem (exit 2), not a policy refusal; check it before anything else.
  const privateKey = 'privateKey' in input ? toPrivateKey(input.privateKey) : undefined;
  let result: TxOutcome;
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
          data: {
            principal: input.principal,
            decision: input.decision,
            ...(error.context.purpose === REVIEW_PURPOSE ? { purpose: REVIEW_PURPOSE } : {}),
          },
        },
        input.now,
      );
    }
    throw error;
  }
  const { request, run, ...outcome } = result;
  try {
    if (outcome.review && run) {
      const notified = await notifyReview(deps.notifier, deps.config, {
        request,
        approval: outcome.approval,
        run,
      });
      return { ...outcome, notified };
    }
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
): Promise<TxOutcome> {
  const { principal, decision, now, requestId } = input;
  const refuse: Refuse = (rule, message) => {
    throw new PolicyError(rule, message, { context: { requestId, principal, rule } });
  };
  const request = await tx.requests.get(requestId);
  if (!request) return refuse('unknown-request', `no request ${requestId}`);
  const breakGlassRun = await runToReview(tx, request);
  if (breakGlassRun) return reviewInTx(deps, tx, input, privateKey, request, breakGlassRun);
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
  const registered = checkDecider(
    deps.registry,
    request,
    principal,
    decision,
    refuse,
    `${request.ref} has no registered owner; it cannot be approved, only run by break-glass`,
  );

  const policy = tierPolicy(deps.config, request.tier);
  const { proof, expiresAt } = proofFor(
    input,
    request,
    privateKey,
    policy.approvalTtlHours,
    undefined,
    refuse,
  );
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
      publicKey: check.ok ? check.publicKeyPem : registered.publicKeyPem,
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

/**
 * The break-glass run a decision on this request would review, if any: the request was
 * flagged for review (or already reviewed) and a break-glass run of it has started.
 */
async function runToReview(tx: StoreTx, request: RecoveryRequest): Promise<RunRecord | undefined> {
  if (!(request.reviewRequired || request.review) || !REVIEWABLE.has(request.status)) return undefined;
  const runs = await tx.runs.forRequest(request.id);
  return runs.find((r) => r.breakGlass && r.status !== 'refused');
}

/** Registered, not the requester, an owner of the target: the checks every decision passes. */
function checkDecider(
  registry: OwnerRegistry,
  request: RecoveryRequest,
  principal: string,
  decision: Decision,
  refuse: Refuse,
  noOwnerMessage: string,
  executor?: string,
): RegisteredPrincipal {
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
 * An owner's retrospective review of a break-glass run: approve endorses it (the review flag
 * is cleared), deny disputes it (the flag stays, and the dispute stands: no later review
 * overrides it). A later owner may still dispute an endorsed run. The request keeps its status.
 */
async function reviewInTx(
  deps: DecisionDeps,
  tx: StoreTx,
  input: DecisionInput,
  privateKey: KeyObject | undefined,
  request: RecoveryRequest,
  run: RunRecord,
): Promise<TxOutcome> {
  const { principal, decision, now, requestId } = input;
  const refuse: Refuse = (rule, message) => {
    throw new PolicyError(rule, message, {
      context: { requestId, principal, rule, purpose: REVIEW_PURPOSE, runId: run.id },
    });
  };
  const registered = checkDecider(
    deps.registry,
    request,
    principal,
    decision,
    refuse,
    `${request.ref} has no registered owner, so no owner can review its break-glass run ${run.id}`,
    run.executor,
  );
  const policy = tierPolicy(deps.config, request.tier);
  const { proof, expiresAt } = proofFor(
    input,
    request,
    privateKey,
    policy.approvalTtlHours,
    REVIEW_PURPOSE,
    refuse,
  );
  const expected = approvalPayload({
    requestId,
    planDigest: request.planDigest,
    decision,
    expiresAt,
    principal,
    purpose: REVIEW_PURPOSE,
  });
  const check = verifyProof(proof, expected, deps.registry);
  if (!check.ok) {
    refuse(
      check.rule,
      `the ${purposeLabel(REVIEW_PURPOSE)} (${decision}) by ${principal} does not verify: ${check.reason}`,
    );
  }

  const outcome = decision === 'approve' ? 'endorsed' : 'disputed';
  const prior = request.review;
  if (prior) {
    if (prior.principal === principal && prior.outcome === outcome) {
      refuse('duplicate-review', `${principal} has already ${outcome} break-glass run ${prior.runId}`);
    }
    if (prior.outcome === 'disputed') {
      refuse(
        'already-reviewed',
        `break-glass run ${prior.runId} was disputed by ${prior.principal} at ${prior.at}; the dispute stands`,
      );
    }
    if (outcome === 'endorsed') {
      refuse(
        'already-reviewed',
        `break-glass run ${prior.runId} was already endorsed by ${prior.principal} at ${prior.at}`,
      );
    }
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
    purpose: REVIEW_PURPOSE,
    proof: { ...proof },
  };
  await tx.approvals.insert(approval);
  const review: RetrospectiveReview = {
    outcome,
    principal,
    at: now.toISOString(),
    approvalId: approval.id,
    runId: run.id,
    executor: run.executor,
    ...(input.comment ? { comment: input.comment } : {}),
  };
  const reviewRequired = outcome === 'disputed';
  await tx.requests.update(requestId, { reviewRequired, review, updatedAt: now.toISOString() });
  const entry = await deps.audit.record(tx.audit, {
    type: 'review.recorded',
    actor: principal,
    subject: requestId,
    data: {
      approvalId: approval.id,
      requestId,
      ref: request.ref,
      tier: request.tier,
      principal,
      decision,
      purpose: REVIEW_PURPOSE,
      outcome,
      runId: run.id,
      executor: run.executor,
      ...(run.breakGlassReason ? { breakGlassReason: run.breakGlassReason } : {}),
      planDigest: request.planDigest,
      expiresAt,
      ...(input.comment ? { comment: input.comment } : {}),
      proof: { ...proof },
      publicKey: check.ok ? check.publicKeyPem : registered.publicKeyPem,
      requestStatus: request.status,
      reviewRequired,
      ...(prior ? { previousReview: { outcome: prior.outcome, principal: prior.principal } } : {}),
    },
  });
  return {
    request: { ...request, reviewRequired, review },
    run,
    approval,
    requestStatus: request.status,
    tier: request.tier,
    quorum: { have: 0, need: policy.quorum, approvers: [] },
    review,
    auditSeq: entry.seq,
  };
}

function proofFor(
  input: DecisionInput,
  request: RecoveryRequest,
  privateKey: KeyObject | undefined,
  ttlHours: number,
  purpose: DecisionPurpose | undefined,
  refuse: Refuse,
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
    ...(purpose ? { purpose } : {}),
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
