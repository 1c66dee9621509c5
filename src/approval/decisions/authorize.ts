/**
 * May this request run now, by this executor? Pure: the engine loads the request and its
 * approvals, passes `now`, and gets either an authorization (what it records in the run
 * and the lineage) or a PolicyError naming the rule. Every stored proof is re-verified
 * here; the request's status is a hint, never the authority.
 */
import { PolicyError } from '../../lib/errors.js';
import type { ApprovalRecord, RecoveryRequest } from '../../store/types.js';
import type { OwnerRegistry } from '../owners/owner-registry.js';
import { verifyActorProofWithKey } from '../signing/actor-proof.js';
import { evaluateApprovals, type IgnoredDecision, type PolicyConfig, worstIgnored } from './quorum.js';
import type { TrustedRequest } from './signed-request.js';

export interface AuthorizeRunInput {
  /** Through trustedRequest: target, tier, owners and policy come from the signed plan. */
  request: TrustedRequest;
  approvals: readonly ApprovalRecord[];
  /** The principal who runs it (`nhi run --as`). */
  executor: string;
  now: Date;
  config: PolicyConfig;
  registry: OwnerRegistry;
  /** Present for `nhi run --break-glass`; the reason is mandatory. */
  breakGlass?: { reason?: string };
}

export interface RunAuthorization {
  mode: 'approved' | 'break-glass';
  tier: RecoveryRequest['tier'];
  /** Distinct owners whose verified approvals count (empty for break-glass). */
  approvers: string[];
  approvalIds: string[];
  /** When the hold ended (privileged); the run was allowed because now >= holdUntil. */
  holdUntil?: string;
  /** Trimmed break-glass reason. */
  breakGlassReason?: string;
  /** Decisions on record that did not count, and why (worth an audit line: a bad signature means tampering). */
  ignored: IgnoredDecision[];
}

const RUNNABLE: ReadonlySet<RecoveryRequest['status']> = new Set(['pending', 'approved']);

export function authorizeRun(input: AuthorizeRunInput): RunAuthorization {
  const { request, executor, now, config, registry } = input;
  const refuse = (rule: string, message: string): never => {
    throw new PolicyError(rule, message, { context: { requestId: request.id, executor, rule } });
  };

  if (request.status === 'denied')
    refuse('denied', `request ${request.id} was denied by an owner; file a new request`);
  if (
    request.status === 'expired' ||
    (request.status === 'pending' && !(Date.parse(request.expiresAt) > now.getTime()))
  ) {
    refuse('request-expired', `request ${request.id} expired at ${request.expiresAt}; file a new request`);
  }
  if (!RUNNABLE.has(request.status)) {
    refuse(
      'not-runnable',
      `request ${request.id} is ${request.status}; only a pending or approved request can be run`,
    );
  }

  checkRequester(request, config, registry, refuse);

  const state = evaluateApprovals({ request, approvals: input.approvals, now, config, registry });
  const deny = state.denies[0];
  if (deny) refuse('denied', `request ${request.id} was denied by ${deny.principal} at ${deny.createdAt}`);

  if (input.breakGlass) {
    if (!registry.isBreakGlass(executor)) {
      refuse(
        'break-glass-not-allowed',
        `${executor} is not in the break-glass group (owners.breakGlass); only named security principals may break glass`,
      );
    }
    const reason = input.breakGlass.reason?.trim() ?? '';
    if (!reason) refuse('break-glass-reason', 'break-glass needs a reason (--reason "what is happening")');
    return {
      mode: 'break-glass',
      tier: request.tier,
      approvers: [],
      approvalIds: [],
      breakGlassReason: reason,
      ignored: state.ignored,
    };
  }

  if (registry.registeredOwners(request.owners).length === 0) {
    refuse(
      'no-owner',
      `${request.ref} has no registered owner, so it cannot be approved; only break-glass can run it`,
    );
  }

  if (!state.met) {
    const ignoredApprovals = state.ignored.filter((i) => i.decision === 'approve');
    const notes = ignoredApprovals.map((i) => `${i.principal} (${i.rule})`).join(', ');
    if (state.counted.length === 0) {
      const worst = worstIgnored(ignoredApprovals);
      if (!worst)
        refuse(
          'not-approved',
          `request ${request.id} has no approval yet (${describeNeed(request, state.need)})`,
        );
      else refuse(worst.rule, `request ${request.id} has no valid approval: ${worst.reason}`);
    }
    refuse(
      'quorum',
      `request ${request.id} ${describeNeed(request, state.need)}; ` +
        `counted ${state.counted.length} (${state.approvers.join(', ')})${notes ? `; not counted: ${notes}` : ''}`,
    );
  }

  if (state.policy.executorNotApprover && state.approvers.includes(executor)) {
    refuse(
      'executor-is-approver',
      `${executor} approved request ${request.id} and so cannot execute it (${request.tier} tier: executor must differ from approvers)`,
    );
  }

  if (state.holdUntil && now.getTime() < state.holdUntil.getTime()) {
    refuse(
      'hold',
      `request ${request.id} is on hold after its last approval; it may run at or after ${state.holdUntil.toISOString()}`,
    );
  }

  return {
    mode: 'approved',
    tier: request.tier,
    approvers: state.approvers,
    approvalIds: state.counted.map((a) => a.id),
    ...(state.holdUntil ? { holdUntil: state.holdUntil.toISOString() } : {}),
    ignored: state.ignored,
  };
}

/**
 * Separation of duties rests on who filed the request. Owners sign the requester's name
 * (proof.ts), and a requester who signed (`nhi request --key`) proved it: that signature must
 * still match the row. Under policy.requireSignedActors an unsigned request cannot run.
 */
function checkRequester(
  request: TrustedRequest,
  config: PolicyConfig,
  registry: OwnerRegistry,
  refuse: (rule: string, message: string) => never,
): void {
  const proof = request.requesterProof;
  if (!proof) {
    if (config.policy.requireSignedActors) {
      refuse(
        'unsigned-requester',
        `request ${request.id} carries no requester signature, which policy.requireSignedActors requires; file a new request with --key`,
      );
    }
    return;
  }
  const registered = registry.principal(request.requester);
  const check = registered
    ? verifyActorProofWithKey(
        proof,
        {
          action: 'request',
          principal: request.requester,
          ref: request.ref,
          runbookId: request.runbookId,
          planDigest: request.planDigest,
        },
        registered.publicKey,
      )
    : { ok: false as const, reason: `"${request.requester}" is not a registered principal` };
  if (!check.ok) {
    refuse(
      'bad-requester-signature',
      `request ${request.id}: the requester's signature does not prove ${request.requester} filed it (${check.reason})`,
    );
  }
}

function describeNeed(request: Pick<RecoveryRequest, 'tier'>, need: number): string {
  return `needs approval by ${need} distinct owner${need === 1 ? '' : 's'} (${request.tier} tier)`;
}
