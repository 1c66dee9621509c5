/**
 * Who hears about requests, decisions and break-glass runs (docs/adr/040-approval-notifications.md).
 * The config has no per-person channel, so a notice goes to the targets that subscribed to
 * its event by name plus the tier's alert targets, and names its intended recipients
 * (principal + email) in `data.recipients` for the receiver to route. Bodies carry refs,
 * ids, digests and names — never a secret value.
 */
import type { ParsedConfig, Severity } from '../config/schema.js';
import { own } from '../lib/own.js';
import type { Notifier, NotifyOutcome } from '../notify/notifier.js';
import { decisionCommand } from '../plan-view/commands.js';
import { configFacts } from '../plan-view/config-facts.js';
import { renderPlanMarkdown } from '../plan-view/markdown.js';
import { buildPlanView } from '../plan-view/model.js';
import type { ApprovalRecord, RecoveryRequest } from '../store/types.js';
import { tierPolicy } from './decisions/quorum.js';

/** `providers`, when given, lets the plan in a request notice name the exact delivery location. */
export type NotifyConfig = Pick<ParsedConfig, 'policy' | 'notify' | 'owners'> &
  Partial<Pick<ParsedConfig, 'providers'>>;

export const APPROVAL_EVENTS = {
  requestCreated: 'request.created',
  requestPrivileged: 'request.privileged',
  decision: 'approval.decision',
  breakGlass: 'run.break-glass',
  /** An owner's retrospective review; targets subscribed to "run.break-glass" get it too (prefix). */
  review: 'run.break-glass.review',
  /**
   * A request still waiting for approval close to its expiry (src/approval/reminders.ts). Named
   * under request.created so every target told of new requests is reminded of them too.
   */
  requestReminder: 'request.created.reminder',
  /** An incident filed: one notice for all its targets, under request.created like a single request. */
  incidentCreated: 'request.created.incident',
} as const;

/**
 * Targets that named this event (or a prefix of it, like "request") in their `events`.
 * Catch-all targets (empty `events`) are not included: they receive what policy or a
 * schedule sends them explicitly, not every owner's to-do.
 */
export function subscribedTargets(config: Pick<ParsedConfig, 'notify'>, event: string): string[] {
  return Object.entries(config.notify)
    .filter(([, t]) => t.events.some((e) => event === e || event.startsWith(`${e}.`)))
    .map(([name]) => name);
}

export function recipients(
  config: NotifyConfig,
  principals: readonly string[],
): { principal: string; email?: string }[] {
  return principals.map((p) => {
    const email = own(config.owners.principals, p)?.email;
    return email ? { principal: p, email } : { principal: p };
  });
}

export function union(...lists: (readonly string[])[]): string[] {
  return [...new Set(lists.flat())];
}

/** `nhi approve|deny <request> --as <owner> --key <private-key-file> --digest <digest>` (src/plan-view/commands.ts). */
export function approveCommand(
  request: Pick<RecoveryRequest, 'id' | 'planDigest'>,
  owner: string,
  decision: 'approve' | 'deny' = 'approve',
): string {
  return decisionCommand(request.id, request.planDigest, owner, decision);
}

/**
 * What an owner needs to act on a request, for the notice that it was filed and for reminders:
 * the readable plan (view + Markdown), the versions to revoke, and the exact commands with --digest.
 */
function requestNotice(config: NotifyConfig, request: RecoveryRequest) {
  // What owners decide on is the readable plan: approval rules as signed in it, not as configured now.
  const signed = request.plan.policy;
  const view = buildPlanView({ plan: request.plan, request, ...configFacts(config, request.plan) });
  const data = {
    requestId: request.id,
    ref: request.ref,
    runbookId: request.runbookId,
    tier: request.tier,
    requester: request.requester,
    reason: request.reason,
    owners: request.owners,
    recipients: recipients(config, request.owners),
    planDigest: request.planDigest,
    /** The version ids that lose access, for receivers that route or match on them. */
    revoke: request.plan.revoke.versions.map((v) => v.versionId),
    /** The plan view (src/plan-view/model.ts) and its Markdown rendering, for chat and tickets. */
    plan: view,
    markdown: renderPlanMarkdown(view),
    expiresAt: request.expiresAt,
    policy: {
      quorum: signed.quorum,
      approvalTtlHours: signed.approvalTtlHours,
      holdMinutes: signed.holdMinutes,
      executorNotApprover: signed.executorNotApprover,
    },
    inspect: `nhi status ${request.id}`,
    approve: Object.fromEntries(request.owners.map((o) => [o, approveCommand(request, o)])),
    deny: Object.fromEntries(request.owners.map((o) => [o, approveCommand(request, o, 'deny')])),
  };
  const summary =
    `${request.tier} recovery of ${request.ref} requested by ${request.requester} (${request.runbookId}): ` +
    `needs approval by ${signed.quorum} of ${request.owners.join(', ') || '(no registered owner: break-glass only)'} ` +
    `before ${request.expiresAt}. Approve with: ${approveCommand(request, '<owner>')}`;
  return { data, summary };
}

/** A request still waiting for its owners near its expiry: the same notice, to the same owner targets. */
export async function notifyRequestReminder(
  notifier: Notifier,
  config: NotifyConfig,
  request: RecoveryRequest,
  quorum: { have: number; need: number },
): Promise<NotifyOutcome[]> {
  const { data, summary } = requestNotice(config, request);
  const targets = union(
    subscribedTargets(config, APPROVAL_EVENTS.requestReminder),
    tierPolicy(config, request.tier).alert,
  );
  return notifier.notify(targets, {
    event: APPROVAL_EVENTS.requestReminder,
    severity: request.tier === 'privileged' ? 'high' : 'medium',
    subject: request.id,
    summary: `REMINDER (${quorum.have} of ${quorum.need} approvals, expires ${request.expiresAt}): ${summary}`,
    data: { ...data, quorum },
  });
}

/** A new request: its owners (to approve) and, when privileged, the security channel (high severity). */
export async function notifyRequestCreated(
  notifier: Notifier,
  config: NotifyConfig,
  request: RecoveryRequest,
): Promise<NotifyOutcome[]> {
  const policy = tierPolicy(config, request.tier);
  const privileged = request.tier === 'privileged';
  const { data, summary } = requestNotice(config, request);
  const ownerTargets = union(subscribedTargets(config, APPROVAL_EVENTS.requestCreated), policy.alert);
  const outcomes = await notifier.notify(ownerTargets, {
    event: APPROVAL_EVENTS.requestCreated,
    severity: privileged ? 'high' : 'medium',
    subject: request.id,
    summary,
    data,
  });
  if (!privileged) return outcomes;
  return [
    ...outcomes,
    ...(await alertSecurity(notifier, config, outcomes, {
      subject: request.id,
      summary: `PRIVILEGED: ${summary}`,
      data,
    })),
  ];
}

/**
 * The security channel hears about every privileged request (policy.privileged.alert,
 * policy.securityAlert, targets subscribed to request.privileged); a target `told` already is
 * not told twice. One place for single requests and incidents alike.
 */
export async function alertSecurity(
  notifier: Notifier,
  config: NotifyConfig,
  told: readonly NotifyOutcome[],
  event: { subject: string; summary: string; data: Record<string, unknown> },
): Promise<NotifyOutcome[]> {
  const already = new Set(told.map((o) => o.target));
  const security = union(
    config.policy.privileged.alert,
    config.policy.securityAlert,
    subscribedTargets(config, APPROVAL_EVENTS.requestPrivileged),
  );
  return notifier.notify(
    security.filter((t) => !already.has(t)),
    { event: APPROVAL_EVENTS.requestPrivileged, severity: 'high', ...event },
  );
}

/** An owner decided: tell the requester (and the tier's alert targets). */
export async function notifyDecision(
  notifier: Notifier,
  config: NotifyConfig,
  input: {
    request: RecoveryRequest;
    approval: ApprovalRecord;
    quorum: { have: number; need: number; approvers: string[] };
    holdUntil?: string;
  },
): Promise<NotifyOutcome[]> {
  const { request, approval, quorum } = input;
  const policy = tierPolicy(config, request.tier);
  const verdict =
    approval.decision === 'deny'
      ? `denied by ${approval.principal}; the request is closed`
      : `approved by ${approval.principal} (${quorum.have} of ${quorum.need} required)` +
        (quorum.have >= quorum.need
          ? input.holdUntil
            ? `; ready to run at or after ${input.holdUntil}`
            : '; ready to run'
          : '');
  const severity: Severity = approval.decision === 'deny' ? 'medium' : 'info';
  return notifier.notify(union(subscribedTargets(config, APPROVAL_EVENTS.decision), policy.alert), {
    event: APPROVAL_EVENTS.decision,
    severity,
    subject: request.id,
    summary: `request ${request.id} (${request.ref}) ${verdict}`,
    data: {
      requestId: request.id,
      ref: request.ref,
      tier: request.tier,
      requester: request.requester,
      recipients: recipients(config, [request.requester]),
      decision: approval.decision,
      principal: approval.principal,
      approvalId: approval.id,
      planDigest: approval.planDigest,
      approvalExpiresAt: approval.expiresAt,
      requestStatus: request.status,
      quorum,
      ...(input.holdUntil ? { holdUntil: input.holdUntil } : {}),
      ...(approval.comment ? { comment: approval.comment } : {}),
    },
  });
}
