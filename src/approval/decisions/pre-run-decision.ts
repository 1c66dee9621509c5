import { PolicyError } from '../../lib/errors.js';
import { policyDigestField } from '../../policy/gate.js';
import type { StoreTx } from '../../store/store.js';
import type { RequestStatus } from '../../store/types.js';
import {
  approvalRecord,
  checkDecider,
  type Refuse,
  signedDecisionFields,
  verifiedProof,
} from './decision-checks.js';
import type { DecisionCase, DecisionDeps, TxOutcome } from './decision-types.js';
import { evaluateApprovals } from './quorum.js';
import { signedTierPolicy } from './signed-request.js';

const DECIDABLE: ReadonlySet<RequestStatus> = new Set(['pending', 'approved']);

export async function recordPreRunDecision(
  deps: DecisionDeps,
  tx: StoreTx,
  { input, privateKey, request }: DecisionCase,
): Promise<TxOutcome> {
  const { principal, decision, now, requestId } = input;
  const refuse: Refuse = (rule, message) => {
    throw new PolicyError(rule, message, { context: { requestId, principal, rule } });
  };
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
  const registered = checkDecider({
    registry: deps.registry,
    request,
    principal,
    decision,
    refuse,
    noOwnerMessage: `${request.ref} has no registered owner; it cannot be approved, only run by break-glass`,
  });

  const policy = signedTierPolicy(deps.config, request);
  const { proof, expiresAt } = verifiedProof({
    input,
    request,
    privateKey,
    ttlHours: policy.approvalTtlHours,
    purpose: undefined,
    refuse,
    registry: deps.registry,
    what: decision,
  });

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

  const approval = approvalRecord({
    requestId,
    principal,
    decision,
    planDigest: request.planDigest,
    now,
    expiresAt,
    comment: input.comment,
    proof,
  });
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
      ...signedDecisionFields(approval, request, registered.recordedKey),
      requestStatus: status,
      quorum,
      ...policyDigestField(deps),
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
