/**
 * `nhi incident approve|deny`: an owner decides their whole share of an incident with one
 * signature (src/approval/signing/incident-proof.ts). Their share is every target they own
 * that still awaits a decision (share.ts); each target's request then records the decision
 * exactly as a single `nhi approve` would (recordPreRunDecision: owner, self-approval,
 * duplicate, tier lifetime, quorum and hold per target), all in one transaction with an
 * `incident.decided` entry: the share is decided entirely or not at all. The signature is made
 * here with the owner's key, or was made offline over the same share and is imported
 * (`nhi approval import`, signed-share.ts): both go through the same checks.
 */
import type { KeyObject } from 'node:crypto';
import { toPrivateKey } from '../approval/decisions/decision-checks.js';
import type { DecisionDeps } from '../approval/decisions/decision-types.js';
import { recordPreRunDecision } from '../approval/decisions/pre-run-decision.js';
import { recordRefusal } from '../approval/decisions/refusal.js';
import { incidentPayloadText, type SubsetInclusion } from '../approval/signing/incident-proof.js';
import { type ApprovalProof, signCanonical } from '../approval/signing/proof.js';
import { PolicyError } from '../lib/errors.js';
import type { SecretValue } from '../lib/secret.js';
import { policyDigestField, requireSignedPolicy } from '../policy/gate.js';
import type { StoreTx } from '../store/store.js';
import type { Decision } from '../store/types.js';
import type { IncidentDecisionOutcome } from './decision-outcome.js';
import { notifyIncidentDecision } from './notify.js';
import { ownerShare, requireShare, type SealedShare, sealShare } from './share.js';
import { acceptSignedShare, type SignedShare } from './signed-share.js';

export type { IncidentDecisionOutcome } from './decision-outcome.js';

export type IncidentDecisionInput = {
  incidentId: string;
  principal: string;
  decision: Decision;
  now: Date;
  comment?: string;
  /** `--digest`: the incident digest the owner reviewed. */
  expectDigest?: string;
} & (
  | { privateKey: KeyObject | SecretValue }
  /** A share signed offline: recorded only if it is exactly the share the store holds now. */
  | { signed: SignedShare }
);

export async function decideIncident(
  deps: DecisionDeps,
  input: IncidentDecisionInput,
): Promise<IncidentDecisionOutcome> {
  const privateKey = 'privateKey' in input ? toPrivateKey(input.privateKey) : undefined;
  deps = { ...deps, policyDigest: await requireSignedPolicy(deps) };
  let outcome: IncidentDecisionOutcome;
  try {
    outcome = await deps.store.transaction((tx) => decideInTx(deps, tx, input, privateKey));
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
  // One notice per decision, not one per target; a notification problem never undoes it.
  try {
    // The requester is only whom the notice is addressed to: no decision rests on the row.
    const requester = (await deps.store.incidents.get(outcome.incidentId))?.requester;
    await notifyIncidentDecision(deps.notifier, deps.config, outcome, requester);
  } catch (error) {
    return { ...outcome, notifyError: (error as Error).message };
  }
  return outcome;
}

async function decideInTx(
  deps: DecisionDeps,
  tx: StoreTx,
  input: IncidentDecisionInput,
  privateKey: KeyObject | undefined,
): Promise<IncidentDecisionOutcome> {
  const { principal, now, incidentId, decision } = input;
  const current = await ownerShare(deps, tx, input);
  const { share, skipped, leaves } = current;
  if (!('signed' in input)) requireShare(current, principal);
  const sealed = share.length ? sealShare(current, principal, deps.config) : undefined;
  const { proof: signed, expiresAt } =
    'signed' in input
      ? acceptSignedShare(input.signed, current, sealed, input)
      : signShare(privateKey as KeyObject, sealed as SealedShare, decision, now);
  const { fields, inclusions } = sealed as SealedShare;
  const root = fields.subsetRoot;
  const decided: IncidentDecisionOutcome['decided'] = [];
  for (const [i, request] of share.entries()) {
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
      incidentDigest: current.incident.digest,
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

/** Sign the share here with the owner's key, standing as long as its tiers allow. */
function signShare(privateKey: KeyObject, sealed: SealedShare, decision: Decision, now: Date) {
  const expiresAt = new Date(now.getTime() + sealed.ttlHours * 3_600_000).toISOString();
  return {
    expiresAt,
    proof: signCanonical(privateKey, incidentPayloadText({ ...sealed.fields, decision, expiresAt })),
  };
}
