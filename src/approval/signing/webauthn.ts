/**
 * The `webauthn` proof: a passkey assertion made on the approval page whose challenge is
 * base64url(sha256(signedPayload)), the canonical ApprovalPayload — so the passkey signature
 * is over the exact request, plan digest, decision, expiry and principal, like every other
 * proof. The proof carries the credential's public key and the enrolment *confirmation*: a
 * signature by the principal's registered key (Ed25519 or OpenSSH) over that public key. So it
 * verifies from the proof and the owner registry alone — at run time and offline by
 * `nhi audit verify` — and a passkey row written into the store by hand proves nothing.
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { verifyBytes } from '../../audit/keys.js';
import { canonicalJson } from '../../lib/canonical.js';
import type { PasskeyConfirmation } from '../../store/passkey-types.js';
import type { SubsetInclusion } from './incident-proof.js';
import { type SshPublicKey, sshKeyOf } from './ssh-key.js';
import { verifySshSig } from './sshsig.js';

export interface WebAuthnProof {
  method: 'webauthn';
  /** The principal's registered key that confirmed this passkey (keyIdOf). */
  keyId: string;
  /** base64url credential id. */
  credentialId: string;
  /** The credential's public key, SPKI PEM (as confirmed). */
  credentialPublicKey: string;
  /** The relying party id the credential is scoped to (the approval page's host). */
  rpId: string;
  /** The principal's signature over the PasskeyConfirmPayload. */
  confirmation: PasskeyConfirmation;
  /** base64url, as the authenticator returned them. */
  authenticatorData: string;
  clientDataJSON: string;
  signature: string;
  /** Canonical JSON of the ApprovalPayload; its sha256 is the WebAuthn challenge. */
  signedPayload: string;
  /** Set when the passkey signed an owner's incident share (incident-proof.ts): where this request sits in it. */
  inclusion?: SubsetInclusion;
}

/** What `nhi passkey confirm` signs: this credential key is this principal's, for this site. */
export interface PasskeyConfirmPayload {
  kind: 'nhi-passkey-confirm';
  principal: string;
  credentialId: string;
  publicKey: string;
  rpId: string;
}

export function passkeyConfirmPayload(fields: Omit<PasskeyConfirmPayload, 'kind'>): PasskeyConfirmPayload {
  return {
    kind: 'nhi-passkey-confirm',
    principal: fields.principal,
    credentialId: fields.credentialId,
    publicKey: fields.publicKey,
    rpId: fields.rpId,
  };
}

export function passkeyConfirmText(fields: Omit<PasskeyConfirmPayload, 'kind'>): string {
  return canonicalJson(passkeyConfirmPayload(fields));
}

const b64url = (b: Buffer) => b.toString('base64url');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();

/** The WebAuthn challenge for a payload: base64url(sha256(UTF-8 payload text)). */
export function webauthnChallenge(signedPayload: string): string {
  return b64url(sha256(Buffer.from(signedPayload, 'utf8')));
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

export function asWebAuthnProof(p: Record<string, unknown>): WebAuthnProof | undefined {
  const fields = [
    'keyId',
    'credentialId',
    'credentialPublicKey',
    'rpId',
    'authenticatorData',
    'clientDataJSON',
    'signature',
    'signedPayload',
  ] as const;
  if (p.method !== 'webauthn' || !fields.every((f) => isString(p[f]))) return undefined;
  const c = p.confirmation as Record<string, unknown> | null | undefined;
  if (!c || typeof c !== 'object' || (c.method !== 'ed25519' && c.method !== 'ssh')) return undefined;
  if (!isString(c.keyId) || !isString(c.signature) || !isString(c.signedPayload)) return undefined;
  const out: Record<string, unknown> = { method: 'webauthn' };
  for (const f of fields) out[f] = p[f];
  out.confirmation = {
    method: c.method,
    keyId: c.keyId,
    signature: c.signature,
    signedPayload: c.signedPayload,
  };
  return out as unknown as WebAuthnProof;
}

/** Does the principal's registered key confirm this credential key for this principal and site? */
export function verifyPasskeyConfirmation(
  confirmation: PasskeyConfirmation,
  expected: Omit<PasskeyConfirmPayload, 'kind'>,
  registeredKey: KeyObject,
  ssh?: SshPublicKey,
): { ok: true } | { ok: false; reason: string } {
  if (confirmation.signedPayload !== passkeyConfirmText(expected)) {
    return { ok: false, reason: 'the passkey confirmation is for another principal, credential or site' };
  }
  if (confirmation.method === 'ed25519') {
    if (ssh?.type === 'sk-ssh-ed25519@openssh.com') {
      return { ok: false, reason: 'the registered key is a security key: confirm with ssh-keygen -Y sign' };
    }
    return verifyBytes(registeredKey, confirmation.signedPayload, confirmation.signature)
      ? { ok: true }
      : {
          ok: false,
          reason: "the passkey confirmation does not verify against the principal's registered key",
        };
  }
  const checked = verifySshSig(
    confirmation.signature,
    confirmation.signedPayload,
    ssh ?? sshKeyOf(registeredKey),
  );
  return checked.ok ? { ok: true } : { ok: false, reason: `passkey confirmation: ${checked.reason}` };
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;

/**
 * The assertion half: confirmed credential, challenge = the payload, user present and verified,
 * scoped to its relying party, signature over authenticatorData || sha256(clientDataJSON).
 */
export function verifyWebAuthnProof(
  p: WebAuthnProof,
  principal: string | undefined,
  registeredKey: KeyObject,
  ssh?: SshPublicKey,
): { ok: true } | { ok: false; reason: string } {
  if (principal === undefined) return { ok: false, reason: 'the signed payload names no principal' };
  const confirmed = verifyPasskeyConfirmation(
    p.confirmation,
    { principal, credentialId: p.credentialId, publicKey: p.credentialPublicKey, rpId: p.rpId },
    registeredKey,
    ssh,
  );
  if (!confirmed.ok) return confirmed;
  const clientDataBytes = Buffer.from(p.clientDataJSON, 'base64url');
  let clientData: Record<string, unknown>;
  try {
    clientData = JSON.parse(clientDataBytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'the WebAuthn client data is not JSON' };
  }
  if (clientData.type !== 'webauthn.get')
    return { ok: false, reason: 'the WebAuthn client data is not an assertion' };
  if (clientData.challenge !== webauthnChallenge(p.signedPayload)) {
    return { ok: false, reason: 'the passkey signed another challenge than this decision payload' };
  }
  let host: string;
  try {
    host = new URL(String(clientData.origin)).hostname;
  } catch {
    return { ok: false, reason: 'the WebAuthn client data has no origin' };
  }
  if (host !== p.rpId && !host.endsWith(`.${p.rpId}`)) {
    return { ok: false, reason: `the assertion was made on ${host}, not on ${p.rpId}` };
  }
  const authData = Buffer.from(p.authenticatorData, 'base64url');
  if (authData.length < 37) return { ok: false, reason: 'the WebAuthn authenticator data is truncated' };
  if (!authData.subarray(0, 32).equals(sha256(p.rpId))) {
    return { ok: false, reason: `the authenticator data is not scoped to ${p.rpId}` };
  }
  const flags = authData[32] ?? 0;
  if ((flags & FLAG_UP) === 0 || (flags & FLAG_UV) === 0) {
    return { ok: false, reason: 'the passkey assertion was made without user verification' };
  }
  let key: KeyObject;
  try {
    key = createPublicKey(p.credentialPublicKey);
  } catch {
    return { ok: false, reason: 'the credential public key does not load' };
  }
  const data = Buffer.concat([authData, sha256(clientDataBytes)]);
  const sig = Buffer.from(p.signature, 'base64url');
  let ok = false;
  try {
    ok =
      key.asymmetricKeyType === 'ed25519'
        ? verify(null, data, key, sig)
        : key.asymmetricKeyType === 'ec'
          ? verify('sha256', data, { key, dsaEncoding: 'der' }, sig)
          : verify('sha256', data, key, sig);
  } catch {
    ok = false;
  }
  return ok
    ? { ok: true }
    : { ok: false, reason: 'the passkey signature does not verify against the confirmed credential key' };
}
