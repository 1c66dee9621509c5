/**
 * What the audit log says about the policy: the newest adopted document and the control
 * owners pinned at that point. The log, not the config, is where control owners come from once
 * pinned — a config edit cannot name new ones without the pinned ones' signatures.
 */
import type { AuditArea } from '../store/store.js';
import type { AuditEntry } from '../store/types.js';
import type { ControlOwners, PolicyDocument } from './document.js';

export const POLICY_PINNED = 'policy.pinned';
export const POLICY_ADOPTED = 'policy.adopted';

export interface AdoptedPolicy {
  seq: number;
  digest: string;
  document: PolicyDocument;
  signers: string[];
}

export interface PolicyState {
  pinned?: { seq: number; controlOwners: ControlOwners };
  adopted?: AdoptedPolicy;
}

export function pinnedOwnersOf(entry: AuditEntry): ControlOwners | undefined {
  const c = entry.data.controlOwners as ControlOwners | undefined;
  return c && typeof c.quorum === 'number' && c.principals && typeof c.principals === 'object'
    ? c
    : undefined;
}

export function adoptedOf(entry: AuditEntry): AdoptedPolicy | undefined {
  const d = entry.data;
  if (typeof d.policyDigest !== 'string' || !d.document || typeof d.document !== 'object') return undefined;
  return {
    seq: entry.seq,
    digest: d.policyDigest,
    document: d.document as PolicyDocument,
    signers: Array.isArray(d.signers) ? (d.signers as string[]) : [],
  };
}

/** Streams the log once (policy entries are rare; the scan is what a decision pays). */
export async function readPolicyState(audit: AuditArea): Promise<PolicyState> {
  const state: PolicyState = {};
  for await (const entry of audit.entries()) {
    if (entry.type === POLICY_PINNED) {
      const controlOwners = pinnedOwnersOf(entry);
      if (controlOwners) state.pinned = { seq: entry.seq, controlOwners };
    } else if (entry.type === POLICY_ADOPTED) {
      const adopted = adoptedOf(entry);
      if (adopted) state.adopted = adopted;
    }
  }
  return state;
}
