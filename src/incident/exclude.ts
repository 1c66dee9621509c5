/**
 * `nhi incident exclude`: take a target out of an incident before it runs (a false positive of
 * the selection, a credential decommissioned meanwhile), with a reason, audited. Its request is
 * withdrawn, so neither the incident nor a single `nhi run` executes it; approvals already
 * given stay on record. Unsigned on purpose: excluding only ever narrows what runs. A target whose run has started cannot be excluded: that run owns
 * the identity until it ends.
 */

import { NotFoundError, PolicyError, UsageError } from '../lib/errors.js';
import { hasOwnKey } from '../lib/own.js';
import type { EngineDeps } from '../runbook/engine.js';
import type { IncidentExclusion } from '../store/incident-types.js';
import { trustedIncident } from './document.js';

export async function excludeTarget(
  deps: EngineDeps,
  input: { incidentId: string; ref: string; by: string; reason: string },
): Promise<IncidentExclusion> {
  const reason = input.reason.trim();
  if (!reason) throw new UsageError('--reason must say why the target is left out');
  const row = await deps.store.incidents.get(input.incidentId);
  if (!row) throw new NotFoundError(`no incident ${input.incidentId} (see nhi incident status)`);
  const incident = trustedIncident(row);
  const target = incident.requests.find((r) => r.ref === input.ref);
  if (!target)
    throw new UsageError(
      `${input.ref} is not a target of incident ${incident.id} (see nhi incident status ${incident.id})`,
    );
  const now = deps.now();
  if (!hasOwnKey(deps.config.owners.principals, input.by))
    throw new PolicyError(
      'unknown-principal',
      `"${input.by}" is not a registered principal (owners.principals)`,
    );
  const exclusion: IncidentExclusion = { ref: input.ref, by: input.by, at: now.toISOString(), reason };
  await deps.store.transaction(async (tx) => {
    const current = (await tx.incidents.get(incident.id)) ?? incident;
    if (current.exclusions.some((e) => e.ref === input.ref))
      throw new UsageError(`${input.ref} is already excluded from incident ${incident.id}`);
    const runs = (await tx.runs.forRequest(target.requestId)).filter((r) => r.status !== 'refused');
    if (runs.length > 0)
      throw new PolicyError(
        'already-run',
        `${input.ref} has run ${runs[0]?.id} (${runs[0]?.status}); a target whose run started cannot be excluded`,
      );
    await tx.requests.update(target.requestId, { status: 'withdrawn', updatedAt: exclusion.at });
    await tx.incidents.update(incident.id, {
      exclusions: [...current.exclusions, exclusion],
      updatedAt: exclusion.at,
    });
    await deps.audit.record(tx.audit, {
      type: 'request.withdrawn',
      actor: input.by,
      subject: target.requestId,
      data: { incidentId: incident.id, ref: input.ref, reason },
    });
  });
  return exclusion;
}
