/**
 * One notice when an incident is filed (not one per target: a 1,000-target incident would
 * page every owner 1,000 times). It lists each owner's share with the one command that
 * approves it; a privileged target still alerts the security channel, as a single request does.
 */
import {
  APPROVAL_EVENTS,
  alertSecurity,
  type NotifyConfig,
  recipients,
  subscribedTargets,
  union,
} from '../approval/notifications.js';
import type { Notifier, NotifyOutcome } from '../notify/notifier.js';
import type { IncidentRecord } from '../store/incident-types.js';
import type { RecoveryRequest } from '../store/types.js';
import { incidentDecisionCommand } from './commands.js';
import type { IncidentDecisionOutcome } from './decision-outcome.js';

export function ownerShares(requests: readonly RecoveryRequest[]): Map<string, RecoveryRequest[]> {
  const shares = new Map<string, RecoveryRequest[]>();
  for (const r of requests)
    for (const owner of r.owners) shares.set(owner, [...(shares.get(owner) ?? []), r]);
  return new Map([...shares].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export async function notifyIncidentFiled(
  notifier: Notifier,
  config: NotifyConfig,
  incident: IncidentRecord,
  requests: readonly RecoveryRequest[],
): Promise<NotifyOutcome[]> {
  const shares = ownerShares(requests);
  const privileged = requests.filter((r) => r.tier === 'privileged');
  const data = {
    incidentId: incident.id,
    incidentDigest: incident.digest,
    reason: incident.reason,
    requester: incident.requester,
    expiresAt: incident.expiresAt,
    targets: requests.length,
    unrecoverable: incident.document.unrecoverable.length,
    recipients: recipients(config, [...shares.keys()]),
    owners: [...shares].map(([owner, share]) => ({
      principal: owner,
      refs: share.map((r) => r.ref),
      privileged: share.filter((r) => r.tier === 'privileged').length,
      approve: incidentDecisionCommand(incident.id, incident.digest, owner, 'approve'),
    })),
  };
  const summary = `incident ${incident.id}: ${requests.length} credential(s) to recover (${incident.reason}), requested by ${incident.requester}; ${shares.size} owner(s) to approve their share`;
  const outcomes = await notifier.notify(
    union(
      subscribedTargets(config, APPROVAL_EVENTS.incidentCreated),
      ...(privileged.length ? [] : [config.policy.standard.alert]),
    ),
    {
      event: APPROVAL_EVENTS.incidentCreated,
      severity: privileged.length ? 'high' : 'medium',
      subject: incident.id,
      summary,
      data,
    },
  );
  if (privileged.length === 0) return outcomes;
  return [
    ...outcomes,
    ...(await alertSecurity(notifier, config, outcomes, {
      subject: incident.id,
      summary: `PRIVILEGED: ${summary}; ${privileged.length} privileged: ${privileged
        .slice(0, 10)
        .map((r) => r.ref)
        .join(', ')}${privileged.length > 10 ? ', …' : ''}`,
      data: { ...data, privileged: privileged.map((r) => r.ref) },
    })),
  ];
}

/** An owner decided their share: tell the requester (and the alert targets of the tiers decided). */
export async function notifyIncidentDecision(
  notifier: Notifier,
  config: NotifyConfig,
  outcome: IncidentDecisionOutcome,
  requester?: string,
): Promise<NotifyOutcome[]> {
  const ready = outcome.decided.filter((d) => d.status === 'approved');
  const tiers = new Set(outcome.decided.map((d) => d.tier));
  const alert = union(
    ...(tiers.has('standard') ? [config.policy.standard.alert] : []),
    ...(tiers.has('privileged') ? [config.policy.privileged.alert] : []),
  );
  const verdict =
    outcome.decision === 'deny'
      ? `denied ${outcome.decided.length} target(s); they will not run`
      : `approved ${outcome.decided.length} target(s), ${ready.length} ready to run`;
  return notifier.notify(union(subscribedTargets(config, APPROVAL_EVENTS.decision), alert), {
    event: APPROVAL_EVENTS.decision,
    severity: outcome.decision === 'deny' ? 'medium' : 'info',
    subject: outcome.incidentId,
    summary: `incident ${outcome.incidentId}: ${outcome.principal} ${verdict}`,
    data: {
      incidentId: outcome.incidentId,
      principal: outcome.principal,
      decision: outcome.decision,
      ...(requester ? { recipients: recipients(config, [requester]) } : {}),
      expiresAt: outcome.expiresAt,
      subsetRoot: outcome.subsetRoot,
      targets: outcome.decided.map((d) => ({
        ref: d.ref,
        requestId: d.requestId,
        tier: d.tier,
        status: d.status,
        ...(d.holdUntil ? { holdUntil: d.holdUntil } : {}),
      })),
    },
  });
}
