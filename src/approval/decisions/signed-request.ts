/**
 * The signed plan is the only truth about a request. A request row is operational memory:
 * whoever can write the state database can change its `tier`, `owners`, `ref` or the plan it
 * stores. Owners sign the plan's digest (and the requester, reason and expiry: proof.ts), so
 * every decision, run and resume first recomputes the digest of the stored plan and then reads
 * target, tier, owners and policy from that plan — never from the row's columns.
 */
import type { TierPolicy } from '../../config/schema.js';
import { canonicalDigest } from '../../lib/canonical.js';
import { PolicyError } from '../../lib/errors.js';
import type { Plan } from '../../runbook/plan-types.js';
import type { RecoveryRequest } from '../../store/types.js';

/** A request whose decision-relevant fields come from its digest-checked plan. */
export interface TrustedRequest extends RecoveryRequest {
  /** The stored plan, verified against `planDigest`. */
  signedPlan: Plan;
}

/**
 * The request with `ref`, `runbookId`, `tier` and `owners` taken from its plan, after checking
 * that the plan hashes to `planDigest` (what owners signed). Throws PolicyError `plan-tampered`
 * (exit 3) otherwise; callers audit the refusal.
 */
export function trustedRequest(row: RecoveryRequest): TrustedRequest {
  const refuse = (why: string): never => {
    throw new PolicyError(
      'plan-tampered',
      `request ${row.id}: ${why}; the stored request was changed after it was filed — nothing was changed, file a new request`,
      { context: { requestId: row.id, rule: 'plan-tampered' } },
    );
  };
  // Typed as Plan for what nhi writes; read here as untrusted until digest and shape check out.
  const plan: unknown = row.plan;
  if (plan === null || typeof plan !== 'object' || Array.isArray(plan)) refuse('the stored plan is missing');
  let digest: string;
  try {
    digest = canonicalDigest(plan);
  } catch {
    return refuse('the stored plan cannot be canonicalized');
  }
  if (digest !== row.planDigest) {
    refuse(`the stored plan hashes to ${digest}, not to the digest ${row.planDigest} that owners sign`);
  }
  const p = plan as Plan;
  if (
    p.kind !== 'nhi-recovery-plan' ||
    typeof p.ref !== 'string' ||
    !Array.isArray(p.target?.owners) ||
    (p.policy?.tier !== 'standard' && p.policy?.tier !== 'privileged')
  ) {
    refuse('the stored plan is not an nhi recovery plan');
  }
  const trusted: TrustedRequest = {
    ...row,
    ref: p.ref,
    runbookId: p.runbook.id,
    tier: p.policy.tier,
    owners: [...p.target.owners],
    signedPlan: p,
  };
  return trusted;
}

/**
 * The tier policy that governs a request's decisions: the config's policy for the signed tier,
 * with the approval rules (quorum, hold, approval lifetime, executor ≠ approver) as signed in the
 * plan. The live re-plan before the first side effect refuses a run whose config has changed
 * since, so the two cannot silently disagree at execution.
 */
export function signedTierPolicy(
  config: { policy: Record<'standard' | 'privileged', TierPolicy> },
  request: TrustedRequest,
): TierPolicy {
  const signed = request.signedPlan.policy;
  return {
    ...config.policy[signed.tier],
    quorum: signed.quorum,
    holdMinutes: signed.holdMinutes,
    approvalTtlHours: signed.approvalTtlHours,
    executorNotApprover: signed.executorNotApprover,
  };
}
