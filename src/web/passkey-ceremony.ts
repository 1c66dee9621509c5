/**
 * The two WebAuthn ceremonies of the approval page, checked with @simplewebauthn/server
 * (origin, relying party, user verification, signature counter) before anything is stored:
 * registering a passkey (stored pending) and an assertion over a decision payload (which
 * becomes a `webauthn` proof that verifies on its own: src/approval/signing/webauthn.ts).
 */
import { createHash, createPublicKey } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { cose, decodeCredentialPublicKey } from '@simplewebauthn/server/helpers';
import type { WebAuthnProof } from '../approval/signing/webauthn.js';
import type { PasskeyRecord } from '../store/passkey-types.js';
import { HttpError } from './http.js';

export interface RelyingParty {
  rpId: string;
  origin: string;
}

/** ES256, EdDSA, RS256: what verifyWebAuthnProof can check offline with node:crypto. */
const ALGORITHMS = [-7, -8, -257];

export async function registrationOptions(rp: RelyingParty, principal: string, existing: PasskeyRecord[]) {
  return generateRegistrationOptions({
    rpName: 'nhi approvals',
    rpID: rp.rpId,
    userName: principal,
    userID: createHash('sha256').update(`nhi-principal:${principal}`).digest(),
    attestationType: 'none',
    excludeCredentials: existing.filter((p) => p.status !== 'revoked').map((p) => ({ id: p.credentialId })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    supportedAlgorithmIDs: ALGORITHMS,
  });
}

export async function verifyRegistration(
  rp: RelyingParty,
  principal: string,
  response: unknown,
  expectedChallenge: string,
  now: Date,
): Promise<PasskeyRecord> {
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
  } catch (error) {
    throw new HttpError(400, `the passkey registration does not verify: ${(error as Error).message}`);
  }
  if (!verified.verified) throw new HttpError(400, 'the passkey registration does not verify');
  const { credential } = verified.registrationInfo;
  return {
    credentialId: credential.id,
    principal,
    status: 'pending',
    cosePublicKey: Buffer.from(credential.publicKey).toString('base64url'),
    publicKey: pemOfCose(new Uint8Array(credential.publicKey)),
    rpId: rp.rpId,
    origin: rp.origin,
    counter: credential.counter,
    ...(credential.transports ? { transports: [...credential.transports] } : {}),
    createdAt: now.toISOString(),
  };
}

/** The COSE credential key as SPKI PEM (EC2 P-256, OKP Ed25519 or RSA). */
export function pemOfCose(bytes: Uint8Array<ArrayBuffer>): string {
  const key = decodeCredentialPublicKey(bytes);
  const b64 = (v: Uint8Array | undefined) => {
    if (!v) throw new HttpError(400, 'the credential public key is incomplete');
    return Buffer.from(v).toString('base64url');
  };
  let jwk: Record<string, string>;
  if (cose.isCOSEPublicKeyEC2(key)) {
    if (key.get(cose.COSEKEYS.crv) !== cose.COSECRV.P256)
      throw new HttpError(400, 'only P-256 EC passkeys are supported');
    jwk = { kty: 'EC', crv: 'P-256', x: b64(key.get(cose.COSEKEYS.x)), y: b64(key.get(cose.COSEKEYS.y)) };
  } else if (cose.isCOSEPublicKeyOKP(key)) {
    jwk = { kty: 'OKP', crv: 'Ed25519', x: b64(key.get(cose.COSEKEYS.x)) };
  } else if (cose.isCOSEPublicKeyRSA(key)) {
    jwk = { kty: 'RSA', n: b64(key.get(cose.COSEKEYS.n)), e: b64(key.get(cose.COSEKEYS.e)) };
  } else {
    throw new HttpError(400, 'unsupported passkey key type');
  }
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
}

/** Options for navigator.credentials.get whose challenge is the payload's digest. */
export async function assertionOptions(rp: RelyingParty, challenge: string, passkeys: PasskeyRecord[]) {
  return generateAuthenticationOptions({
    rpID: rp.rpId,
    challenge: Buffer.from(challenge, 'base64url'),
    userVerification: 'required',
    allowCredentials: passkeys.map((p) => ({
      id: p.credentialId,
      ...(p.transports ? { transports: p.transports as never } : {}),
    })),
    timeout: 120_000,
  });
}

/** Check the assertion the browser returned; the proof it makes, and the counter to store. */
export async function verifyAssertion(
  rp: RelyingParty,
  response: unknown,
  expected: { challenge: string; payloadText: string; passkey: PasskeyRecord; registeredKeyId: string },
): Promise<{ proof: WebAuthnProof; newCounter: number }> {
  const r = response as AuthenticationResponseJSON;
  const { passkey } = expected;
  if (!passkey.confirmation)
    throw new HttpError(403, 'this passkey has not been confirmed', 'passkey-pending');
  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verified = await verifyAuthenticationResponse({
      response: r,
      expectedChallenge: expected.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      credential: {
        id: passkey.credentialId,
        publicKey: Buffer.from(passkey.cosePublicKey, 'base64url'),
        counter: passkey.counter,
      },
      requireUserVerification: true,
    });
  } catch (error) {
    throw new HttpError(
      403,
      `the passkey assertion does not verify: ${(error as Error).message}`,
      'bad-signature',
    );
  }
  if (!verified.verified) throw new HttpError(403, 'the passkey assertion does not verify', 'bad-signature');
  return {
    newCounter: verified.authenticationInfo.newCounter,
    proof: {
      method: 'webauthn',
      keyId: expected.registeredKeyId,
      credentialId: passkey.credentialId,
      credentialPublicKey: passkey.publicKey,
      rpId: passkey.rpId,
      confirmation: passkey.confirmation,
      authenticatorData: r.response.authenticatorData,
      clientDataJSON: r.response.clientDataJSON,
      signature: r.response.signature,
      signedPayload: expected.payloadText,
    },
  };
}
