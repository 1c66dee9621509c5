/**
 * An owner's share of an incident: every target they own that still awaits their decision,
 * read from the store through the same checks the engine uses (the incident by its digest,
 * each request by its plan digest and as the one the incident filed for its target). One
 * definition for `nhi incident approve|deny`, `nhi incident export` and the import of a share
 * signed offline, so all three agree on which targets, which plans and which signed payload.
 */
import type { DecisionDeps } from '../approval/decisions/decision-types.js';
import { tierPolicy } from '../approval/decisions/quorum.js';
import { type TrustedRequest, trustedRequest } from '../approval/decisions/signed-request.js';
import {
  type IncidentApprovalPayload,
  type SubsetInclusion,
  type SubsetLeaf,
  sortedLeaves,
  subsetTree,
} from '../approval/signing/incident-proof.js';
import { NotFoundError, PolicyError } from '../lib/errors.js';
import type { IncidentRecord } from '../store/incident-types.js';
import type { StoreTx } from '../store/store.js';
import type { Decision, RecoveryRequest } from '../store/types.js';
import { trustedIncident } from './document.js';

/** The `nhi-incident-approval` payload of a share, but for what the signer chooses (decision, expiry). */
export type ShareFields = Omit<IncidentApprovalPayload, 'kind' | 'decision' | 'expiresAt'>;

export interface OwnerShare {
  incident: IncidentRecord;
  /** In leaf order (by request id). */
  share: TrustedRequest[];
  leaves: SubsetLeaf[];
  /** Targets of this owner not in the share, and why (already decided, running, excluded...). */
  skipped: { requestId: string; ref: string; why: string }[];
}

/** The signed subset of a non-empty share: its payload fields, each leaf's inclusion path, the longest TTL. */
export interface SealedShare {
  fields: ShareFields;
  inclusions: SubsetInclusion[];
  /** One signature, one expiry: the shortest lifetime any tier in the share allows. */
  ttlHours: number;
}

const DECIDABLE = new Set(['pending', 'approved']);

type Refuse = (rule: string, message: string) => never;

export function shareRefusal(incidentId: string, principal: string): Refuse {
  return (rule, message) => {
    throw new PolicyError(rule, message, { context: { incidentId, principal, rule } });
  };
}

export async function ownerShare(
  deps: Pick<DecisionDeps, 'registry'>,
  tx: StoreTx,
  input: {
    incidentId: string;
    principal: string;
    decision: Decision | 'decide';
    now: Date;
    expectDigest?: string;
  },
): Promise<OwnerShare> {
  const { principal, now, incidentId, decision } = input;
  const refuse = shareRefusal(incidentId, principal);
  const row = await tx.incidents.get(incidentId);
  if (!row) throw new NotFoundError(`no incident ${incidentId} (see nhi incident status)`);
  const incident = trustedIncident(row);
  if (input.expectDigest !== undefined && input.expectDigest !== incident.digest) {
    refuse(
      'digest-mismatch',
      `incident ${incidentId} has digest ${incident.digest}, not the ${input.expectDigest} you reviewed`,
    );
  }
  if (principal === incident.requester) {
    refuse(
      'self-approval',
      `${principal} filed incident ${incidentId} and cannot ${decision} it (separation of duties)`,
    );
  }
  const excluded = new Set(incident.exclusions.map((e) => e.ref));
  const planned = new Map(incident.document.targets.map((t) => [t.ref, t.planDigest]));
  const share: TrustedRequest[] = [];
  const skipped: OwnerShare['skipped'] = [];
  for (const { ref, requestId } of incident.requests) {
    const stored = await tx.requests.get(requestId);
    if (!stored) refuse('incident-tampered', `incident ${incidentId} names missing request ${requestId}`);
    const request = trustedRequest(stored as RecoveryRequest);
    // The request must be the one the incident digest covers: same target, same plan.
    if (request.ref !== ref || request.planDigest !== planned.get(ref) || request.incidentId !== incidentId)
      refuse(
        'incident-tampered',
        `request ${requestId} is not the plan incident ${incidentId} filed for ${ref}`,
      );
    if (!deps.registry.registeredOwners(request.owners).includes(principal)) continue;
    const why = excluded.has(ref)
      ? 'excluded from the incident'
      : !DECIDABLE.has(request.status)
        ? `request is ${request.status}`
        : !(Date.parse(request.expiresAt) > now.getTime())
          ? `expired at ${request.expiresAt}`
          : (await tx.approvals.forRequest(requestId)).some(
                (a) => a.principal === principal && a.purpose === undefined,
              )
            ? 'already decided by you'
            : undefined;
    if (why) skipped.push({ requestId, ref, why });
    else share.push(request);
  }
  const leaves = sortedLeaves(share.map((r) => ({ requestId: r.id, planDigest: r.planDigest })));
  const byId = new Map(share.map((r) => [r.id, r]));
  return { incident, share: leaves.map((l) => byId.get(l.requestId) as TrustedRequest), leaves, skipped };
}

/** Refuse an empty share, naming why each of the owner's targets is out of it. */
export function requireShare(s: OwnerShare, principal: string): void {
  if (s.share.length > 0) return;
  const { skipped } = s;
  shareRefusal(s.incident.id, principal)(
    skipped.length ? 'nothing-to-decide' : 'not-owner',
    skipped.length
      ? `${principal} has nothing left to decide in incident ${s.incident.id} (${skipped.length} target(s): ${skipped[0]?.why}${skipped.length > 1 ? ', …' : ''})`
      : `${principal} owns no target of incident ${s.incident.id}`,
  );
}

/** The subset tree and payload fields of a non-empty share (requireShare first). */
export function sealShare(
  s: OwnerShare,
  principal: string,
  config: Parameters<typeof tierPolicy>[0],
): SealedShare {
  const { root, inclusions } = subsetTree(s.leaves);
  const first = s.share[0] as TrustedRequest;
  return {
    fields: {
      incidentId: s.incident.id,
      incidentDigest: s.incident.digest,
      principal,
      requester: first.requester,
      reason: first.reason,
      requestExpiresAt: first.expiresAt,
      targets: s.leaves.length,
      subsetRoot: root,
    },
    inclusions,
    ttlHours: Math.min(...s.share.map((r) => tierPolicy(config, r.tier).approvalTtlHours)),
  };
}
