/**
 * `nhi incident approve|deny`: an owner decides their whole share of an incident with one
 * signature (src/approval/signing/incident-proof.ts). Their share is every target they own
 * that still awaits a decision; each target's request then records the decision exactly as a
 * single `nhi approve` would (recordPreRunDecision: owner, self-approval, duplicate, tier
 * lifetime, quorum and hold per target), all in one transaction with an `incident.decided`
 * entry: the share is decided entirely or not at all.
 */
import type { KeyObject } from 'node:crypto';
import { toPrivateKey } from '../approval/decisions/decision-checks.js';
import type { DecisionDeps } from '../approval/decisions/decision-types.js';
import { recordPreRunDecision } from '../approval/decisions/pre-run-decision.js';
import { tierPolicy } from '../approval/decisions/quorum.js';
import { recordRefusal } from '../approval/decisions/refusal.js';
import { type TrustedRequest, trustedRequest } from '../approval/decisions/signed-request.js';
import {
  incidentPayloadText,
  type SubsetInclusion,
  sortedLeaves,
  subsetTree,
} from '../approval/signing/incident-proof.js';
import { type ApprovalProof, signCanonical } from '../approval/signing/proof.js';
import { NotFoundError, PolicyError } from '../lib/errors.js';
import type { SecretValue } from '../lib/secret.js';
import { policyDigestField, requireSignedPolicy } from '../policy/gate.js';
import type { StoreTx } from '../store/store.js';
import type { Decision, RecoveryRequest } from '../store/types.js';
import { trustedIncident } from './document.js';

export interface IncidentDecisionInput {
  incidentId: string;
  principal: string;
  decision: Decision;
  now: Date;
  comment?: string;
  /** `--digest`: the incident digest the owner reviewed. */
  expectDigest?: string;
  privateKey: KeyObject | SecretValue;
}

export interface IncidentDecisionOutcome {
  incidentId: string;
  decision: Decision;
  principal: string;
  /** The requests decided, with each one's status afterwards. */
  decided: {
    requestId: string;
    ref: string;
    tier: RecoveryRequest['tier'];
    status: string;
    holdUntil?: string;
  }[];
  /** Targets of this owner not in the share, and why (already decided, running, excluded...). */
  skipped: { requestId: string; ref: string; why: string }[];
  subsetRoot: string;
  expiresAt: string;
  auditSeq: number;
}

const DECIDABLE = new Set(['pending', 'approved']);

export async function decideIncident(
  deps: DecisionDeps,
  input: IncidentDecisionInput,
): Promise<IncidentDecisionOutcome> {
  const privateKey = toPrivateKey(input.privateKey);
  deps = { ...deps, policyDigest: await requireSignedPolicy(deps) };
  try {
    return await deps.store.transaction((tx) => decideInTx(deps, tx, input, privateKey));
  } catch (error) {
    if (error instanceof PolicyError) {
      await recordRefusal(
        deps,
        error,
        {
          type: 'approval.refused',
          actor: input.principal,
          subject: input.incidentId,
          data: { principal: input.principal, decision: input.decision, incidentId: input.incidentId },
        },
        input.now,
      );
    }
    throw error;
  }
}

async function decideInTx(
  deps: DecisionDeps,
  tx: StoreTx,
  input: IncidentDecisionInput,
  privateKey: KeyObject,
): Promise<IncidentDecisionOutcome> {
  const { principal, now, incidentId, decision } = input;
  const refuse = (rule: string, message: string): never => {
    throw new PolicyError(rule, message, { context: { incidentId, principal, rule } });
  };
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
  const skipped: IncidentDecisionOutcome['skipped'] = [];
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
  if (share.length === 0) {
    refuse(
      skipped.length ? 'nothing-to-decide' : 'not-owner',
      skipped.length
        ? `${principal} has nothing left to decide in incident ${incidentId} (${skipped.length} target(s): ${skipped[0]?.why}${skipped.length > 1 ? ', …' : ''})`
        : `${principal} owns no target of incident ${incidentId}`,
    );
  }
  // One signature, one expiry: the shortest lifetime any tier in the share allows.
  const ttlHours = Math.min(...share.map((r) => tierPolicy(deps.config, r.tier).approvalTtlHours));
  const expiresAt = new Date(now.getTime() + ttlHours * 3_600_000).toISOString();
  const leaves = sortedLeaves(share.map((r) => ({ requestId: r.id, planDigest: r.planDigest })));
  const { root, inclusions } = subsetTree(leaves);
  const first = share[0] as TrustedRequest;
  const signed = signCanonical(
    privateKey,
    incidentPayloadText({
      incidentId,
      incidentDigest: incident.digest,
      decision,
      expiresAt,
      principal,
      requester: first.requester,
      reason: first.reason,
      requestExpiresAt: first.expiresAt,
      targets: leaves.length,
      subsetRoot: root,
    }),
  );
  const byId = new Map(share.map((r) => [r.id, r]));
  const decided: IncidentDecisionOutcome['decided'] = [];
  for (const [i, leaf] of leaves.entries()) {
    const request = byId.get(leaf.requestId) as TrustedRequest;
    const proof: ApprovalProof = { ...signed, inclusion: inclusions[i] as SubsetInclusion };
    const outcome = await recordPreRunDecision(deps, tx, {
      input: {
        requestId: request.id,
        principal,
        decision,
        now,
        proof,
        ...(input.comment ? { comment: input.comment } : {}),
      },
      privateKey: undefined,
      request,
    });
    decided.push({
      requestId: request.id,
      ref: request.ref,
      tier: request.tier,
      status: outcome.requestStatus,
      ...(outcome.holdUntil ? { holdUntil: outcome.holdUntil } : {}),
    });
  }
  const entry = await deps.audit.record(tx.audit, {
    type: 'incident.decided',
    actor: principal,
    subject: incidentId,
    data: {
      incidentDigest: incident.digest,
      decision,
      principal,
      expiresAt,
      subsetRoot: root,
      requestIds: leaves.map((l) => l.requestId),
      signature: signed.signature,
      keyId: signed.keyId,
      signedPayload: signed.signedPayload,
      ...policyDigestField(deps),
    },
  });
  return {
    incidentId,
    decision,
    principal,
    decided,
    skipped,
    subsetRoot: root,
    expiresAt,
    auditSeq: entry.seq,
  };
}
