/**
 * `nhi incident request`: plan the blast radius afresh and file it as one incident — one
 * ordinary recovery request per target (so every rule of a single request holds for each:
 * signed plan, owners, tier, quorum, hold, separation of duties) plus the incident row — all
 * in one transaction with their audit entries, then tell the owners once.
 */
import { randomUUID } from 'node:crypto';
import type { ActorCredential } from '../approval/decisions/actor.js';
import { PolicyError, UsageError } from '../lib/errors.js';
import { policyDigestField, requireSignedPolicy } from '../policy/gate.js';
import type { EngineDeps } from '../runbook/engine.js';
import { checkFiling, newRequest, recordRequest, requestExpiry } from '../runbook/requests.js';
import type { IncidentRecord } from '../store/incident-types.js';
import type { RecoveryRequest } from '../store/types.js';
import { notifyIncidentFiled } from './notify.js';
import { type IncidentSelection, type PlannedIncident, planIncident } from './plan.js';

export interface NewIncident {
  selection: IncidentSelection;
  reason: string;
  requester: string;
  actor?: ActorCredential;
  /** `--digest`: the incident digest the requester reviewed; refused when the estate changed since. */
  expectDigest?: string;
}

export interface FiledIncident {
  incident: IncidentRecord;
  requests: RecoveryRequest[];
  planned: PlannedIncident;
}

export async function fileIncident(
  deps: EngineDeps,
  input: NewIncident,
  onProgress?: (what: string) => void,
): Promise<FiledIncident> {
  const reason = checkFiling(deps.config, input, 'an incident id, what was compromised');
  deps = { ...deps, policyDigest: await requireSignedPolicy(deps) };
  const planned = await planIncident(deps, input.selection, onProgress);
  const { document, digest } = planned;
  if (input.expectDigest !== undefined && input.expectDigest !== digest) {
    throw new PolicyError(
      'digest-mismatch',
      `the incident plan is now ${digest}, not the ${input.expectDigest} you reviewed: the estate changed; run nhi incident plan again`,
    );
  }
  if (document.targets.length === 0) {
    throw new UsageError(
      `the selection holds no recoverable target (${document.unrecoverable.length} selected identit${document.unrecoverable.length === 1 ? 'y' : 'ies'} cannot be recovered: see nhi incident plan)`,
    );
  }
  const now = deps.now();
  const id = `inc_${randomUUID()}`;
  const expiresAt = requestExpiry(deps, now);
  const requests: RecoveryRequest[] = [];
  for (const target of document.targets) {
    const target_ = planned.plans.get(target.ref) as NonNullable<ReturnType<typeof planned.plans.get>>;
    // Each target is filed exactly as a single `nhi request` would be: the run gate checks it per request.
    requests.push(
      await newRequest(
        deps,
        { ...target_, runbookId: target.runbookId },
        {
          reason,
          requester: input.requester,
          now,
          expiresAt,
          incidentId: id,
          ...(input.actor ? { actor: input.actor } : {}),
        },
        'incident.refused',
      ),
    );
  }
  const incident: IncidentRecord = {
    id,
    reason,
    requester: input.requester,
    createdAt: now.toISOString(),
    expiresAt,
    document,
    digest,
    requests: requests.map((r) => ({ ref: r.ref, requestId: r.id })),
    exclusions: [],
    ...(requests[0]?.requesterProof ? { requesterProof: requests[0].requesterProof } : {}),
    updatedAt: now.toISOString(),
  };
  await deps.store.transaction(async (tx) => {
    for (const request of requests) await recordRequest(deps, tx, request);
    await tx.incidents.insert(incident);
    await deps.audit.record(tx.audit, {
      type: 'incident.created',
      actor: input.requester,
      subject: id,
      data: {
        incidentDigest: digest,
        reason,
        selectors: document.selectors,
        valueMatch: document.valueMatch,
        expiresAt,
        targets: incident.requests,
        unrecoverable: document.unrecoverable.map((u) => ({ ref: u.ref, reason: u.reason })),
        ...policyDigestField(deps),
      },
    });
  });
  await notifyIncidentFiled(deps.notifier, deps.config, incident, requests);
  return { incident, requests, planned };
}
