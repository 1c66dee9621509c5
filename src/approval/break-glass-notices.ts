import type { Notifier, NotifyOutcome } from '../notify/notifier.js';
import type { ApprovalRecord, RecoveryRequest, RunRecord } from '../store/types.js';
import { tierPolicy } from './decisions/quorum.js';
import {
  APPROVAL_EVENTS,
  approveCommand,
  type NotifyConfig,
  recipients,
  subscribedTargets,
  union,
} from './notifications.js';

/** A break-glass run: the security channel at critical severity; the owners are named for retrospective review. */
export async function notifyBreakGlass(
  notifier: Notifier,
  config: NotifyConfig,
  input: { request: RecoveryRequest; executor: string; reason: string; runId?: string },
): Promise<NotifyOutcome[]> {
  const { request } = input;
  const targets = union(
    config.policy.securityAlert,
    tierPolicy(config, request.tier).alert,
    subscribedTargets(config, APPROVAL_EVENTS.breakGlass),
  );
  return notifier.notify(targets, {
    event: APPROVAL_EVENTS.breakGlass,
    severity: 'critical',
    subject: input.runId ?? request.id,
    summary:
      `BREAK-GLASS: ${input.executor} is recovering ${request.ref} (request ${request.id}) without owner approval: ` +
      `${input.reason}. Owners ${request.owners.join(', ') || '(none registered)'} must review it.`,
    data: {
      requestId: request.id,
      ...(input.runId ? { runId: input.runId } : {}),
      ref: request.ref,
      tier: request.tier,
      requester: request.requester,
      executor: input.executor,
      reason: input.reason,
      planDigest: request.planDigest,
      owners: request.owners,
      recipients: recipients(config, request.owners),
      reviewRequired: true,
      // The same commands as a pre-run decision: after the run they record the review.
      endorse: Object.fromEntries(request.owners.map((o) => [o, approveCommand(request, o)])),
      dispute: Object.fromEntries(request.owners.map((o) => [o, approveCommand(request, o, 'deny')])),
    },
  });
}

/**
 * An owner reviewed a break-glass run after the fact. The security channel hears either way:
 * an endorsement closes the loop on the critical break-glass alert (medium); a dispute — the
 * owner says the recovery should not have happened — is itself a critical alert.
 */
export async function notifyReview(
  notifier: Notifier,
  config: NotifyConfig,
  input: { request: RecoveryRequest; approval: ApprovalRecord; run: RunRecord },
): Promise<NotifyOutcome[]> {
  const { request, approval, run } = input;
  const disputed = approval.decision === 'deny';
  const targets = union(
    config.policy.securityAlert,
    tierPolicy(config, request.tier).alert,
    subscribedTargets(config, APPROVAL_EVENTS.review),
  );
  const what = `break-glass recovery of ${request.ref} by ${run.executor} (request ${request.id}, run ${run.id})`;
  return notifier.notify(targets, {
    event: APPROVAL_EVENTS.review,
    severity: disputed ? 'critical' : 'medium',
    subject: request.id,
    summary: disputed
      ? `BREAK-GLASS DISPUTED: owner ${approval.principal} disputes the ${what}` +
        `${approval.comment ? `: ${approval.comment}` : ''}. Investigate.`
      : `break-glass endorsed: owner ${approval.principal} reviewed and endorsed the ${what}.`,
    data: {
      requestId: request.id,
      runId: run.id,
      ref: request.ref,
      tier: request.tier,
      requester: request.requester,
      executor: run.executor,
      ...(run.breakGlassReason ? { reason: run.breakGlassReason } : {}),
      principal: approval.principal,
      decision: approval.decision,
      outcome: disputed ? 'disputed' : 'endorsed',
      approvalId: approval.id,
      planDigest: approval.planDigest,
      recipients: recipients(config, [run.executor, request.requester]),
      reviewRequired: disputed,
      ...(approval.comment ? { comment: approval.comment } : {}),
    },
  });
}
