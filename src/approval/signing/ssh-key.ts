/**
 * Keys owners already have: OpenSSH Ed25519 public keys (`ssh-ed25519 AAAA… comment`), FIDO
 * security-key public keys (`sk-ssh-ed25519@openssh.com AAAA…`, which only sign through
 * `ssh-keygen -Y sign`), and unencrypted OpenSSH Ed25519 private keys (`~/.ssh/id_ed25519`).
 * Formats: RFC 4253 §6.6 / draft-ietf-sshm-ssh-key public keys, PROTOCOL.key (openssh-key-v1),
 * PROTOCOL.u2f (sk keys carry the FIDO application string, normally "ssh:").
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { SshReader, sshString } from './ssh-wire.js';

export const SSH_ED25519 = 'ssh-ed25519';
export const SK_SSH_ED25519 = 'sk-ssh-ed25519@openssh.com';
export type SshKeyType = typeof SSH_ED25519 | typeof SK_SSH_ED25519;

/** A parsed OpenSSH public key. `publicKey` is the Ed25519 key inside it. */
export interface SshPublicKey {
  type: SshKeyType;
  /** The 32-byte Ed25519 public key. */
  raw: Buffer;
  /** FIDO application (sk keys only), e.g. "ssh:". */
  application?: string;
  /** The wire blob, exactly as it appears base64-encoded in the key line and in SSHSIG. */
  blob: Buffer;
  publicKey: KeyObject;
}

/** Does this text look like an OpenSSH public key line (as opposed to a PEM)? */
export function isSshPublicKeyLine(text: string): boolean {
  return /^\s*(ssh-ed25519|sk-ssh-ed25519@openssh\.com|ssh-rsa|ecdsa-sha2-\S+|sk-ecdsa-\S+)\s+\S+/.test(text);
}

/** Parse `TYPE BASE64 [comment]`; throws an Error with a precise reason (never key material). */
export function parseSshPublicKeyLine(text: string): SshPublicKey {
  const [type, b64] = text.trim().split(/\s+/);
  if (type !== SSH_ED25519 && type !== SK_SSH_ED25519) {
    throw new Error(
      `an OpenSSH key of type ${type ?? '?'} is not supported (use ssh-ed25519 or ${SK_SSH_ED25519})`,
    );
  }
  const blob = Buffer.from(b64 ?? '', 'base64');
  const key = parseSshPublicKeyBlob(blob);
  if (key.type !== type) throw new Error(`the key line says ${type} but its blob holds ${key.type}`);
  return key;
}

/** Parse a public key wire blob (as found in key lines and SSHSIG signatures). */
export function parseSshPublicKeyBlob(blob: Buffer): SshPublicKey {
  const r = new SshReader(blob, 'OpenSSH public key');
  const type = r.text();
  if (type !== SSH_ED25519 && type !== SK_SSH_ED25519) {
    throw new Error(`an OpenSSH key of type ${type} is not supported`);
  }
  const raw = r.string();
  if (raw.length !== 32) throw new Error('the Ed25519 public key is not 32 bytes');
  const application = type === SK_SSH_ED25519 ? r.text() : undefined;
  if (!r.done) throw new Error('the OpenSSH public key has trailing bytes');
  return {
    type,
    raw: Buffer.from(raw),
    ...(application !== undefined ? { application } : {}),
    blob: Buffer.from(blob),
    publicKey: ed25519PublicKey(raw),
  };
}

/** `ssh-ed25519 AAAA…` for an Ed25519 KeyObject (what `nhi keygen` users can paste into authorized_keys). */
export function sshPublicKeyLine(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(jwk.x ?? '', 'base64url');
  return `${SSH_ED25519} ${Buffer.concat([sshString(SSH_ED25519), sshString(raw)]).toString('base64')}`;
}

function ed25519PublicKey(raw: Buffer): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
}

const OPENSSH_PRIVATE = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/;

export function isOpenSshPrivateKey(text: string): boolean {
  return OPENSSH_PRIVATE.test(text);
}

/**
 * An unencrypted openssh-key-v1 Ed25519 private key as a KeyObject. Encrypted keys and sk keys
 * cannot be used directly (nhi does not ask for passphrases, and an sk key signs only on its
 * token): both are told to sign with `ssh-keygen -Y sign` instead. Errors never echo key bytes.
 */
export function openSshPrivateKey(text: string): KeyObject {
  const m = OPENSSH_PRIVATE.exec(text);
  if (!m) throw new Error('not an OpenSSH private key');
  const r = new SshReader(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'), 'OpenSSH private key');
  const magic = r.bytes(15).toString('latin1');
  if (magic !== 'openssh-key-v1\0') throw new Error('not an openssh-key-v1 private key');
  const cipher = r.text();
  r.text(); // kdf name
  r.string(); // kdf options
  if (cipher !== 'none') {
    throw new Error(
      'the OpenSSH key is passphrase-protected; sign with ssh-keygen -Y sign (ssh-agent) instead: nhi approve --request-file FILE --print-payload',
    );
  }
  if (r.u32() !== 1) throw new Error('the OpenSSH key file holds more than one key');
  r.string(); // public key blob (repeated inside the private section)
  const priv = new SshReader(r.string(), 'OpenSSH private key');
  const check1 = priv.u32();
  const check2 = priv.u32();
  if (check1 !== check2) throw new Error('the OpenSSH private key is corrupt (check bytes differ)');
  const type = priv.text();
  if (type === SK_SSH_ED25519) {
    throw new Error(
      'a security-key (sk) private key signs only on its token: sign with ssh-keygen -Y sign -n nhi-approval instead',
    );
  }
  if (type !== SSH_ED25519) throw new Error(`an OpenSSH key of type ${type} is not supported (use ed25519)`);
  const pub = priv.string();
  const secret = priv.string();
  if (pub.length !== 32 || secret.length !== 64)
    throw new Error('the OpenSSH Ed25519 key has the wrong length');
  return createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      x: pub.toString('base64url'),
      d: secret.subarray(0, 32).toString('base64url'),
    },
    format: 'jwk',
  });
}

/** The ssh-ed25519 form of a plain Ed25519 key (a PEM-registered owner may also sign with ssh-keygen). */
export function sshKeyOf(publicKey: KeyObject): SshPublicKey {
  return parseSshPublicKeyLine(sshPublicKeyLine(publicKey));
}
