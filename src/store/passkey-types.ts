/**
 * A passkey an owner registered on the approval page. It is *pending* until the principal's
 * registered key signs its confirmation (`nhi passkey confirm`): a session at the identity
 * provider alone never yields an approver (docs/adr/060-approval-page.md). The row is
 * operational memory; what makes a passkey approval count is the confirmation signature the
 * proof carries (src/approval/signing/webauthn.ts), not `status`.
 */
export type PasskeyStatus = 'pending' | 'active' | 'revoked';

export interface PasskeyConfirmation {
  method: 'ed25519' | 'ssh';
  keyId: string;
  signature: string;
  /** Canonical JSON of the PasskeyConfirmPayload, exactly as signed. */
  signedPayload: string;
}

export interface PasskeyRecord {
  /** base64url credential id, as the authenticator returned it. */
  credentialId: string;
  principal: string;
  status: PasskeyStatus;
  /** The COSE public key (base64url), what @simplewebauthn verifies assertions with. */
  cosePublicKey: string;
  /** The same key as SPKI PEM: what proofs carry and the confirmation signs. */
  publicKey: string;
  /** The relying party (the approval page's host) and origin it was registered on. */
  rpId: string;
  origin: string;
  /** The authenticator's signature counter after the last accepted assertion. */
  counter: number;
  transports?: string[];
  createdAt: string;
  confirmedAt?: string;
  confirmation?: PasskeyConfirmation;
  revokedAt?: string;
  revokedBy?: string;
  lastUsedAt?: string;
}
