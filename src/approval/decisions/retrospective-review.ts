import { PolicyError } from '../../lib/errors.js';
import { policyDigestField } from '../../policy/gate.js';
import type { StoreTx } from '../../store/store.js';
import type { RequestStatus, RetrospectiveReview, RunRecord } from '../../store/types.js';
import { purposeLabel, REVIEW_PURPOSE } from '../signing/proof.js';
import {
  approvalRecord,
  checkDecider,
  type Refuse,
  signedDecisionFields,
  verifiedProof,
} from './decision-checks.js';
import type { DecisionCase, DecisionDeps, TxOutcome } from './decision-types.js';
import { signedTierPolicy, type TrustedRequest } from './signed-request.js';

/** A request whose run has started or finished: decisions on it can only be retrospective reviews. */
const REVIEWABLE: ReadonlySet<RequestStatus> = new Set(['running', 'completed', 'failed', 'needs-attention']);

/**
 * The break-glass run a decision on this request would review, if any: the request was
 * flagged for review (or already reviewed) and a break-glass run of it has started.
 */
export async function runToReview(tx: StoreTx, request: TrustedRequest): Promise<RunRecord | undefined> {
  if (!(request.reviewRequired || request.review) || !REVIEWABLE.has(request.status)) return undefined;
  const runs = await tx.runs.forRequest(request.id);
  return runs.find((r) => r.breakGlass && r.status !== 'refused');
}

/**
 * An owner's retrospective review of a break-glass run: approve endorses it (the review flag
 * is cleared), deny disputes it (the flag stays, and the dispute stands: no later review
 * overrides it). A later owner may still dispute an endorsed run. The request keeps its status.
 */
export async function recordRetrospectiveReview(
  deps: DecisionDeps,
  tx: StoreTx,
  { input, privateKey, request, run }: DecisionCase & { run: RunRecord },
): Promise<TxOutcome> {
  const { principal, decision, now, requestId } = input;
  const refuse: Refuse = (rule, message) => {
    throw new PolicyError(rule, message, {
      context: { requestId, principal, rule, purpose: REVIEW_PURPOSE, runId: run.id },
    });
  };
  const registered = checkDecider({
    registry: deps.registry,
    request,
    principal,
    decision,
    refuse,
    noOwnerMessage: `${request.ref} has no registered owner, so no owner can review its break-glass run ${run.id}`,
    executor: run.executor,
  });
  const policy = signedTierPolicy(deps.config, request);
  const { proof, expiresAt } = verifiedProof({
    input,
    request,
    privateKey,
    ttlHours: policy.approvalTtlHours,
    purpose: REVIEW_PURPOSE,
    refuse,
    registry: deps.registry,
    what: `${purposeLabel(REVIEW_PURPOSE)} (${decision})`,
  });

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

  const approval = approvalRecord({
    requestId,
    principal,
    decision,
    planDigest: request.planDigest,
    now,
    expiresAt,
    comment: input.comment,
    purpose: REVIEW_PURPOSE,
    proof,
  });
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
      ...signedDecisionFields(approval, request, registered.recordedKey),
      purpose: REVIEW_PURPOSE,
      outcome,
      runId: run.id,
      executor: run.executor,
      ...(run.breakGlassReason ? { breakGlassReason: run.breakGlassReason } : {}),
      requestStatus: request.status,
      reviewRequired,
      ...policyDigestField(deps),
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
