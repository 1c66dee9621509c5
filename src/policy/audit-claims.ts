/**
 * Offline checks for `nhi audit verify`: every `policy.adopted` entry must carry a quorum of
 * signatures, by distinct keys of the control owners pinned at that point in the log, over
 * its own document's digest and the policy it replaced; every `policy.pinned` after the first
 * must pin exactly the control owners of the policy just adopted (a pin cannot bring its own
 * owners). The checkers share state, so they must see the log in order, once (verifyAudit does).
 */
import { createPublicKey } from 'node:crypto';
import { keyIdOf } from '../audit/keys.js';
import type { EntryChecker } from '../audit/verify.js';
import type { AuditEntry } from '../store/types.js';
import { type ControlOwners, type PolicyDocument, policyDigestOf, sameControlOwners } from './document.js';
import { countSignatures, type PolicySignature } from './signatures.js';
import { POLICY_ADOPTED, POLICY_PINNED, pinnedOwnersOf } from './state.js';

export function policyClaimCheckers(): Record<string, EntryChecker> {
  let pinned: ControlOwners | undefined;
  let adopted: { digest: string; document: PolicyDocument; seq: number } | undefined;
  return {
    [POLICY_PINNED]: (entry) => {
      const owners = pinnedOwnersOf(entry);
      if (!owners) return 'policy.pinned entry has no control owners';
      const bad = badKeys(owners);
      if (bad) return `policy.pinned: ${bad}`;
      // Only the first pin is trusted on first use; a later one must follow the adoption that named it.
      if (pinned) {
        if (!adopted || adopted.seq !== entry.seq - 1)
          return 'policy.pinned re-pins control owners without a policy.adopted entry right before it';
        if (!sameControlOwners(owners, adopted.document.policy.controlOwners))
          return `policy.pinned does not pin the control owners of policy ${adopted.digest}`;
      }
      // The first pin is trusted on first use: well formed, but there is nothing to verify it against.
      const claim = pinned ? undefined : null;
      pinned = owners;
      return claim;
    },
    [POLICY_ADOPTED]: (entry) => {
      const problem = checkAdopted(entry, pinned, adopted?.digest ?? null);
      if (problem) return problem;
      adopted = {
        digest: entry.data.policyDigest as string,
        document: entry.data.document as PolicyDocument,
        seq: entry.seq,
      };
      return undefined;
    },
  };
}

function badKeys(owners: ControlOwners): string | undefined {
  for (const [name, k] of Object.entries(owners.principals)) {
    try {
      if (keyIdOf(createPublicKey(k.publicKey)) !== k.keyId)
        return `the key id of ${name} does not match its key`;
    } catch {
      return `the key of ${name} is not a public key`;
    }
  }
  return undefined;
}

function checkAdopted(
  entry: AuditEntry,
  pinned: ControlOwners | undefined,
  previous: string | null,
): string | undefined {
  const d = entry.data;
  const digest = d.policyDigest;
  if (
    typeof digest !== 'string' ||
    !d.document ||
    typeof d.document !== 'object' ||
    !Array.isArray(d.signatures)
  )
    return 'policy.adopted entry is missing policyDigest, document or signatures';
  if (!pinned) return `policy ${digest} was adopted before any control owners were pinned`;
  if (policyDigestOf(d.document as PolicyDocument) !== digest)
    return `policy.adopted: the recorded document does not hash to ${digest} (document edited)`;
  if ((d.previousDigest ?? null) !== previous)
    return `policy ${digest} claims to replace ${String(d.previousDigest)}, but the adopted policy was ${previous ?? '(none)'}`;
  const count = countSignatures(
    d.signatures as PolicySignature[],
    { policyDigest: digest, previousDigest: previous },
    pinned,
  );
  if (!count.met) {
    const why = count.ignored.map((i) => `; ${i.reason}`).join('');
    return `policy ${digest}: ${count.signers.length} of ${count.need} valid signature(s) by the pinned control owners${why}`;
  }
  const named = Array.isArray(d.signers) ? [...(d.signers as string[])].sort().join(',') : '';
  if (named !== [...count.signers].sort().join(','))
    return `policy ${digest}: the entry names signers ${named || '(none)'}, but the signatures are by ${count.signers.join(',')}`;
  return undefined;
}
