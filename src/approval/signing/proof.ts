/**
 * Proof that a principal made a decision. A discriminated union on `method` so a second
 * method (an OIDC-backed approval from a web page) can be added without touching the
 * records that already exist: add a member, a case in `verifyProof`, and one in the
 * offline checker (audit-claims.ts). The compiler points at every `switch` that misses it.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyIdOf, signBytes, verifyBytes } from '../../audit/keys.js';
import type { OwnerRegistry } from '../owners/owner-registry.js';
import {
  asInclusion,
  INCIDENT_APPROVAL_KIND,
  type SubsetInclusion,
  signedDecisionFor,
} from './incident-proof.js';
import { type ApprovalPayload, payloadText, purposeLabel, signedObjectOfKind } from './proof-payload.js';
import { type SshPublicKey, sshKeyOf } from './ssh-key.js';
import { verifySshSig } from './sshsig.js';
import { asWebAuthnProof, verifyWebAuthnProof, type WebAuthnProof } from './webauthn.js';

export { signedDecisionFor } from './incident-proof.js';
// The payload half lives in proof-payload.ts; re-exported so callers keep one import.
export {
  type ApprovalPayload,
  approvalPayload,
  parseSignedPayload,
  payloadText,
  purposeLabel,
  REVIEW_PURPOSE,
  requestFields,
  type SignedRequestFields,
  signedObjectOfKind,
} from './proof-payload.js';
export type { WebAuthnProof } from './webauthn.js';

export interface Ed25519Proof {
  method: 'ed25519';
  /** Set when the signature is an owner's incident approval (incident-proof.ts): where this request sits in it. */
  inclusion?: SubsetInclusion;
  /** keyIdOf(public key): which registered key signed. */
  keyId: string;
  /** Base64 Ed25519 signature over the UTF-8 bytes of `signedPayload`. */
  signature: string;
  /** Canonical JSON (RFC 8785) of the ApprovalPayload, exactly as signed. */
  signedPayload: string;
}

/**
 * A decision signed with `ssh-keygen -Y sign -n nhi-approval` over `signedPayload` (printed by
 * `nhi approve --request-file FILE --print-payload`): an OpenSSH key on disk, in ssh-agent, or
 * on a FIDO token (sk-ssh-ed25519). Verified against the principal's registered OpenSSH key.
 */
export interface SshProof {
  method: 'ssh';
  inclusion?: SubsetInclusion;
  keyId: string;
  /** The armored SSHSIG (-----BEGIN SSH SIGNATURE-----). */
  signature: string;
  signedPayload: string;
}

/** `webauthn`: a passkey assertion on the approval page (webauthn.ts). */
export type ApprovalProof = Ed25519Proof | SshProof | WebAuthnProof;
export type ProofMethod = ApprovalProof['method'];

export type ProofRule = 'bad-signature' | 'digest-mismatch' | 'unknown-principal';

export type ProofCheck =
  | { ok: true; method: ProofMethod; keyId: string; publicKeyPem: string }
  | { ok: false; rule: ProofRule; reason: string };

/** Sign a decision with an owner's Ed25519 private key. */
export function signDecision(privateKey: KeyObject, payload: ApprovalPayload): Ed25519Proof {
  return signCanonical(privateKey, payloadText(payload));
}

/**
 * An Ed25519 proof over canonical payload text. Every payload nhi signs names its `kind`
 * (nhi-approval, nhi-actor) and every parser accepts exactly one kind, so a signature made
 * for one purpose never verifies as another.
 */
export function signCanonical(privateKey: KeyObject, signedPayload: string): Ed25519Proof {
  return {
    method: 'ed25519',
    keyId: keyIdOf(createPublicKey(privateKey)),
    signature: signBytes(privateKey, signedPayload),
    signedPayload,
  };
}

/** A stored proof (ApprovalRecord.proof is untyped JSON) as an ApprovalProof, or undefined if it is none. */
export function asProof(value: unknown): ApprovalProof | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const p = value as Record<string, unknown>;
  const inclusion = p.inclusion === undefined ? undefined : asInclusion(p.inclusion);
  if (p.inclusion !== undefined && !inclusion) return undefined;
  if (p.method === 'webauthn') {
    const w = asWebAuthnProof(p);
    return w && inclusion ? { ...w, inclusion } : w;
  }
  if (p.method !== 'ed25519' && p.method !== 'ssh') return undefined;
  if (typeof p.keyId !== 'string' || typeof p.signature !== 'string' || typeof p.signedPayload !== 'string') {
    return undefined;
  }
  return {
    method: p.method,
    keyId: p.keyId,
    signature: p.signature,
    signedPayload: p.signedPayload,
    ...(inclusion ? { inclusion } : {}),
  };
}

/**
 * Check a proof against a public key and the payload it must prove. The signature is
 * checked first, so "digest-mismatch" means the owner really signed — another plan.
 */
export function verifyProofWithKey(
  proof: unknown,
  expected: ApprovalPayload,
  publicKey: KeyObject,
  ssh?: SshPublicKey,
): ProofCheck {
  const checked = verifySignatureWithKey(proof, publicKey, ssh);
  if (!checked.ok) return { ok: false, rule: 'bad-signature', reason: checked.reason };
  const signed = signedDecisionFor(checked.proof, expected.requestId);
  if (!signed.ok) return { ok: false, rule: 'bad-signature', reason: signed.reason };
  return compareSigned(signed.payload, expected, checked.proof.method, checked.keyId, publicKey);
}

/**
 * The method-specific half of every check: the proof is well formed, names this key, and its
 * signature over `signedPayload` verifies. What the payload says is for the caller to check.
 */
export function verifySignatureWithKey(
  proof: unknown,
  publicKey: KeyObject,
  ssh?: SshPublicKey,
): { ok: true; proof: ApprovalProof; keyId: string } | { ok: false; reason: string } {
  const p = asProof(proof);
  if (!p) return { ok: false, reason: 'the proof is missing or of an unknown method' };
  const keyId = keyIdOf(publicKey);
  if (p.keyId !== keyId)
    return { ok: false, reason: `signed with key ${p.keyId}, not the registered key ${keyId}` };
  switch (p.method) {
    case 'ed25519': {
      // A security-key (sk) registration signs only through SSHSIG with its application bound in.
      if (ssh?.type === 'sk-ssh-ed25519@openssh.com') {
        return {
          ok: false,
          reason: 'the registered key is a security key: only an ssh-keygen -Y sign signature counts',
        };
      }
      if (!verifyBytes(publicKey, p.signedPayload, p.signature)) {
        return { ok: false, reason: 'the Ed25519 signature does not verify against the registered key' };
      }
      return { ok: true, proof: p, keyId };
    }
    case 'ssh': {
      const checked = verifySshSig(p.signature, p.signedPayload, ssh ?? sshKeyOf(publicKey));
      return checked.ok ? { ok: true, proof: p, keyId } : { ok: false, reason: checked.reason };
    }
    case 'webauthn': {
      // The principal the confirmation must name is the one the payload names (a single or an
      // incident approval); the caller then checks the payload names the expected principal.
      const principal = (
        signedObjectOfKind(p.signedPayload, 'nhi-approval') ??
        signedObjectOfKind(p.signedPayload, INCIDENT_APPROVAL_KIND)
      )?.principal;
      const checked = verifyWebAuthnProof(
        p,
        typeof principal === 'string' ? principal : undefined,
        publicKey,
        ssh,
      );
      return checked.ok ? { ok: true, proof: p, keyId } : { ok: false, reason: checked.reason };
    }
  }
}

/**
 * For payloads only nhi's own keys sign (actor proofs, acknowledgments, policy signatures):
 * the method must be ed25519.
 */
export function verifyEd25519WithKey(
  proof: unknown,
  publicKey: KeyObject,
): { ok: true; proof: Ed25519Proof; keyId: string } | { ok: false; reason: string } {
  const checked = verifySignatureWithKey(proof, publicKey);
  if (!checked.ok) return checked;
  if (checked.proof.method !== 'ed25519') return { ok: false, reason: 'expected an Ed25519 proof' };
  return { ok: true, proof: checked.proof, keyId: checked.keyId };
}

/** Check a proof against the principal's key in the registry. */
export function verifyProof(proof: unknown, payload: ApprovalPayload, registry: OwnerRegistry): ProofCheck {
  const principal = registry.principal(payload.principal);
  if (!principal) {
    return {
      ok: false,
      rule: 'unknown-principal',
      reason: `"${payload.principal}" is not a registered principal`,
    };
  }
  return verifyProofWithKey(proof, payload, principal.publicKey, principal.ssh);
}

function compareSigned(
  signed: ApprovalPayload,
  expected: ApprovalPayload,
  method: ProofMethod,
  keyId: string,
  publicKey: KeyObject,
): ProofCheck {
  if (signed.requestId !== expected.requestId) {
    return {
      ok: false,
      rule: 'bad-signature',
      reason: `the signature was made for request ${signed.requestId}, not ${expected.requestId} (replayed approval)`,
    };
  }
  if (signed.purpose !== expected.purpose) {
    return {
      ok: false,
      rule: 'bad-signature',
      reason: `the signature is a ${purposeLabel(signed.purpose)}, not a ${purposeLabel(expected.purpose)} (replayed decision)`,
    };
  }
  if (signed.principal !== expected.principal) {
    return {
      ok: false,
      rule: 'bad-signature',
      reason: `the signature names principal ${signed.principal}, not ${expected.principal}`,
    };
  }
  if (signed.decision !== expected.decision) {
    return {
      ok: false,
      rule: 'bad-signature',
      reason: `the signature is for "${signed.decision}", not "${expected.decision}"`,
    };
  }
  if (signed.expiresAt !== expected.expiresAt) {
    return {
      ok: false,
      rule: 'bad-signature',
      reason: `the signed expiry ${signed.expiresAt} differs from ${expected.expiresAt}`,
    };
  }
  for (const [field, what] of [
    ['requester', 'requester'],
    ['reason', 'reason'],
    ['requestExpiresAt', 'request expiry'],
  ] as const) {
    if (signed[field] !== expected[field]) {
      return {
        ok: false,
        rule: 'bad-signature',
        reason:
          signed[field] === undefined
            ? `the signature does not cover the request's ${what} (signed by an older nhi): sign again`
            : `the signed ${what} ${JSON.stringify(signed[field])} differs from the request's ${JSON.stringify(expected[field])} (request edited after signing?)`,
      };
    }
  }
  if (signed.planDigest !== expected.planDigest) {
    return {
      ok: false,
      rule: 'digest-mismatch',
      reason: `the signature covers plan ${signed.planDigest}, but the request's plan is ${expected.planDigest}`,
    };
  }
  return {
    ok: true,
    method,
    keyId,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
