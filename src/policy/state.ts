/**
 * What the audit log says about the policy: the newest adopted document and the control
 * owners pinned at that point. The log, not the config, is where control owners come from once
 * pinned — a config edit cannot name new ones without the pinned ones' signatures.
 */
import type { KeyObject } from 'node:crypto';
import { checkpointPayload, entryHash } from '../audit/chain.js';
import { keyIdOf, verifyBytes } from '../audit/keys.js';
import { AuditError } from '../lib/errors.js';
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

/**
 * The newest pin and adoption, found by an indexed lookup and believed only when signed: each is
 * a mandatory checkpoint point (src/audit/checkpoint-rules.ts), so its entry must hash to itself
 * and carry a checkpoint at its own seq signed by the audit key. A policy entry someone wrote into
 * the database by hand (to pin their own key as control owner) has neither: every decision is then
 * refused until `nhi audit verify` has been looked at.
 */
export async function readPolicyState(audit: AuditArea, auditKey: KeyObject): Promise<PolicyState> {
  const state: PolicyState = {};
  const pinned = await audit.latestOfType(POLICY_PINNED);
  if (pinned) {
    await assertSigned(audit, pinned, auditKey);
    const controlOwners = pinnedOwnersOf(pinned);
    if (controlOwners) state.pinned = { seq: pinned.seq, controlOwners };
  }
  const adoptedEntry = await audit.latestOfType(POLICY_ADOPTED);
  if (adoptedEntry) {
    await assertSigned(audit, adoptedEntry, auditKey);
    const adopted = adoptedOf(adoptedEntry);
    if (adopted) state.adopted = adopted;
  }
  return state;
}

async function assertSigned(audit: AuditArea, entry: AuditEntry, auditKey: KeyObject): Promise<void> {
  const cp = await audit.checkpointAt(entry.seq);
  const ok =
    entryHash(entry) === entry.hash &&
    cp !== undefined &&
    cp.hash === entry.hash &&
    cp.keyId === keyIdOf(auditKey) &&
    verifyBytes(auditKey, checkpointPayload(cp.seq, cp.hash), cp.signature);
  if (!ok) {
    throw new AuditError(
      `the ${entry.type} entry at audit seq ${entry.seq} is not covered by a checkpoint signed by the audit key: ` +
        'the policy record in the state store cannot be believed, so no decision is taken; run nhi audit verify',
    );
  }
}
