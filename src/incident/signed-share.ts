/**
 * A share signed elsewhere (`nhi incident approve --request-file`, `ssh-keygen -Y sign` over
 * `--print-payload`, brought back by `nhi approval import`; or a passkey on the approval
 * page). What comes back is a messenger:
 * what it says is believed only where it equals the share recomputed from the store now. The
 * signature itself is then verified per request, like any approval (recordPreRunDecision).
 */

import {
  type IncidentApprovalPayload,
  parseIncidentPayload,
  type SubsetLeaf,
  subsetTree,
} from '../approval/signing/incident-proof.js';
import type { Ed25519Proof, SshProof, WebAuthnProof } from '../approval/signing/proof.js';
import type { Decision } from '../store/types.js';
import { type OwnerShare, type SealedShare, shareRefusal } from './share.js';

/** What a share decision signed elsewhere carries (offline, or a passkey on the approval page): its proof (no inclusion: one per request is made here) and the subset it names. */
export interface SignedShare {
  proof: Omit<Ed25519Proof, 'inclusion'> | Omit<SshProof, 'inclusion'> | Omit<WebAuthnProof, 'inclusion'>;
  subset: SubsetLeaf[];
}

/** How the signed subset and the share now differ, one line per target; empty when they agree. */
export function shareDifference(signed: readonly SubsetLeaf[], now: OwnerShare): string[] {
  const current = new Map(now.leaves.map((l) => [l.requestId, l.planDigest]));
  const refOf = new Map(now.incident.requests.map((r) => [r.requestId, r.ref]));
  const skipped = new Map(now.skipped.map((s) => [s.requestId, s.why]));
  const named = (id: string) => `${refOf.get(id) ?? '(not in this incident)'} (${id})`;
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const leaf of signed) {
    seen.add(leaf.requestId);
    const plan = current.get(leaf.requestId);
    if (plan === undefined)
      lines.push(
        `${named(leaf.requestId)} is no longer in the share: ${skipped.get(leaf.requestId) ?? 'not yours to decide'}`,
      );
    else if (plan !== leaf.planDigest)
      lines.push(`${named(leaf.requestId)}: you signed plan ${leaf.planDigest}, its plan is ${plan}`);
  }
  for (const leaf of now.leaves)
    if (!seen.has(leaf.requestId)) lines.push(`${named(leaf.requestId)} joined the share after you signed`);
  return lines;
}

/**
 * The signed proof and its expiry when `signed` is exactly the share `now` would sign for this
 * principal and decision; a PolicyError naming the first difference otherwise.
 */
export function acceptSignedShare(
  signed: SignedShare,
  now: OwnerShare,
  sealed: SealedShare | undefined,
  input: { principal: string; decision: Decision },
): { proof: SignedShare['proof']; expiresAt: string } {
  const { principal, decision } = input;
  const refuse = shareRefusal(now.incident.id, principal);
  const payload = parseIncidentPayload(signed.proof.signedPayload);
  if (!payload) return refuse('bad-signature', 'the proof is not a signed nhi-incident-approval payload');
  // Who signed what, first: a decision file re-addressed to another owner, incident or decision.
  if (payload.principal !== principal)
    refuse('bad-signature', `the signature names principal ${payload.principal}, not ${principal}`);
  if (payload.incidentId !== now.incident.id)
    refuse(
      'bad-signature',
      `the signature was made for incident ${payload.incidentId}, not ${now.incident.id}`,
    );
  if (payload.decision !== decision)
    refuse('bad-signature', `the signature is for "${payload.decision}", not "${decision}"`);
  // The subset must be the one signed: its leaves hash to the signed root.
  const root = signed.subset.length ? subsetTree(signed.subset).root : undefined;
  if (root !== payload.subsetRoot || signed.subset.length !== payload.targets) {
    refuse(
      'bad-signature',
      `the decision's subset (${signed.subset.length} target(s)) is not the one signed (${payload.targets} target(s), root ${payload.subsetRoot}): the decision file was edited after signing`,
    );
  }
  const changed = shareDifference(signed.subset, now);
  if (changed.length || !sealed) {
    refuse(
      'share-changed',
      `${principal}'s share of incident ${now.incident.id} changed since it was signed: ${changed.join('; ') || 'nothing is left to decide'}. Export the share again (nhi incident export ${now.incident.id} --as ${principal}) and sign anew`,
    );
  }
  const expected: Omit<IncidentApprovalPayload, 'kind' | 'expiresAt'> = {
    ...(sealed as SealedShare).fields,
    decision,
  };
  for (const field of Object.keys(expected) as (keyof typeof expected)[]) {
    if (payload[field] === expected[field]) continue;
    refuse(
      field === 'incidentDigest' ? 'digest-mismatch' : 'bad-signature',
      `the signed ${field} ${JSON.stringify(payload[field])} differs from the share's ${JSON.stringify(expected[field])}`,
    );
  }
  return { proof: signed.proof, expiresAt: payload.expiresAt };
}
