/**
 * Proof of who acknowledged an incident finding (`nhi findings ack`). The same Ed25519 proof
 * as an actor proof (approval/actor-proof.ts), over a payload of its own kind,
 * `nhi-finding-ack`: the actor and approval parsers reject it, and this parser rejects theirs,
 * so an ack signature never counts as a run, a request or an approval. The reason is signed
 * too: what the principal wrote is what the audit log keeps.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { OwnerRegistry } from '../approval/owners/owner-registry.js';
import {
  type Ed25519Proof,
  signCanonical,
  signedObjectOfKind,
  verifyEd25519WithKey,
} from '../approval/signing/proof.js';
import { keyIdOf } from '../audit/keys.js';
import type { EntryChecker } from '../audit/verify.js';
import { canonicalJson } from '../lib/canonical.js';

export const ACK_PAYLOAD_KIND = 'nhi-finding-ack';

export interface AckPayload {
  kind: typeof ACK_PAYLOAD_KIND;
  principal: string;
  findingId: string;
  ref: string;
  type: string;
  reason: string;
  /** When it was signed (ISO 8601). */
  at: string;
}

export type AckClaim = Omit<AckPayload, 'kind' | 'at'>;

const BOUND = ['principal', 'findingId', 'ref', 'type', 'reason'] as const;

function payloadText(fields: Omit<AckPayload, 'kind'>): string {
  const p: AckPayload = { kind: ACK_PAYLOAD_KIND, at: fields.at, ...pick(fields) };
  return canonicalJson(p);
}

function pick(f: AckClaim): AckClaim {
  return { principal: f.principal, findingId: f.findingId, ref: f.ref, type: f.type, reason: f.reason };
}

export function signAck(privateKey: KeyObject, fields: Omit<AckPayload, 'kind'>): Ed25519Proof {
  return signCanonical(privateKey, payloadText(fields));
}

/** The payload when `text` is a canonical, complete nhi-finding-ack payload. */
export function parseAckPayload(text: string): AckPayload | undefined {
  const p = signedObjectOfKind(text, ACK_PAYLOAD_KIND);
  if (!p) return undefined;
  for (const f of [...BOUND, 'at']) if (typeof p[f] !== 'string') return undefined;
  if (Number.isNaN(Date.parse(p.at as string))) return undefined;
  const payload = p as unknown as AckPayload;
  return payloadText(payload) === text ? payload : undefined;
}

export type AckCheck = { ok: true; proof: Ed25519Proof; at: string } | { ok: false; reason: string };

/** The proof is by `publicKey` over an ack payload binding exactly `claim`. */
export function verifyAckProofWithKey(proof: unknown, claim: AckClaim, publicKey: KeyObject): AckCheck {
  const checked = verifyEd25519WithKey(proof, publicKey);
  if (!checked.ok) return checked;
  const signed = parseAckPayload(checked.proof.signedPayload);
  if (!signed) return { ok: false, reason: 'the signed payload is not a canonical nhi-finding-ack payload' };
  for (const f of BOUND) {
    // Names the field, not the values: a reason is free text.
    if (signed[f] !== claim[f]) return { ok: false, reason: `the signature was made for another ${f}` };
  }
  return { ok: true, proof: checked.proof, at: signed.at };
}

/**
 * `nhi audit verify` re-verifies the proof in a `finding.acknowledged` entry against what the
 * entry claims and the principal's registered key (null: an unsigned ack makes no claim).
 */
export function ackEntryChecker(registry: OwnerRegistry): EntryChecker {
  return (entry) => {
    const d = entry.data;
    const proof = d.actorProof as Record<string, unknown> | undefined;
    if (proof === undefined) return null;
    const who = `finding.acknowledged by ${entry.actor} on ${entry.subject}`;
    let key: KeyObject;
    try {
      key = createPublicKey(String(proof?.publicKey ?? ''));
    } catch {
      return `${who}: the actor proof has no usable public key`;
    }
    const registered = registry.principal(entry.actor);
    if (registered && registered.keyId !== keyIdOf(key))
      return `${who}: recorded key is not ${entry.actor}'s registered key`;
    const claim: AckClaim = {
      principal: entry.actor,
      findingId: String(d.findingId),
      ref: String(d.ref),
      type: String(d.type),
      reason: String(d.reason),
    };
    const check = verifyAckProofWithKey(proof, claim, key);
    return check.ok ? undefined : `${who}: ${check.reason}`;
  };
}
