/**
 * A decision taken before the run: approve counts towards the tier's quorum (and may start its
 * hold), deny ends the request. Recorded with its `approval.recorded` audit entry and the
 * request's new status in the caller's transaction.
 */
import type { KeyObject } from 'node:crypto';
import { PolicyError } from '../lib/errors.js';
import { policyDigestField } from '../policy/gate.js';
import type { StoreTx } from '../store/store.js';
import type { RequestStatus } from '../store/types.js';
import {
  approvalRecord,
  checkDecider,
  proofFor,
  type Refuse,
  signedDecisionFields,
} from './decision-checks.js';
import type { DecisionDeps, DecisionInput, TxOutcome } from './decision-types.js';
import { approvalPayload, requestFields, verifyProof } from './proof.js';
import { evaluateApprovals } from './quorum.js';
import { signedTierPolicy, type TrustedRequest } from './signed-request.js';

const DECIDABLE: ReadonlySet<RequestStatus> = new Set(['pending', 'approved']);

export async function recordPreRunDecision(
  deps: DecisionDeps,
  tx: StoreTx,
  input: DecisionInput,
  privateKey: KeyObject | undefined,
  request: TrustedRequest,
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
  const registered = checkDecider(
    deps.registry,
    request,
    principal,
    decision,
    refuse,
    `${request.ref} has no registered owner; it cannot be approved, only run by break-glass`,
  );

  const policy = signedTierPolicy(deps.config, request);
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
    ...requestFields(request),
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
