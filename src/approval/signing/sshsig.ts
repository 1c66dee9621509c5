/**
 * SSHSIG signatures (OpenSSH PROTOCOL.sshsig), as made by `ssh-keygen -Y sign -n nhi-approval`
 * with an on-disk key, ssh-agent, or a FIDO security key (`sk-ssh-ed25519@openssh.com`,
 * PROTOCOL.u2f). The namespace is part of what is signed, so a signature an owner made for
 * git commits or for another tool never verifies as an nhi decision.
 */
import { createHash, verify as edVerify } from 'node:crypto';
import { parseSshPublicKeyBlob, SK_SSH_ED25519, SSH_ED25519, type SshPublicKey } from './ssh-key.js';
import { SshReader, sshString } from './ssh-wire.js';

/** The namespace owners pass to `ssh-keygen -Y sign -n`. */
export const SSHSIG_NAMESPACE = 'nhi-approval';

const MAGIC = Buffer.from('SSHSIG', 'latin1');
const ARMOR = /-----BEGIN SSH SIGNATURE-----([\s\S]*?)-----END SSH SIGNATURE-----/;
/** FIDO flag: the user touched the token. Required, as `ssh-keygen -Y verify` requires it by default. */
const USER_PRESENT = 0x01;

export interface ParsedSshSig {
  signer: SshPublicKey;
  namespace: string;
  hashAlgorithm: 'sha256' | 'sha512';
  sigType: string;
  signature: Buffer;
  /** sk signatures only. */
  flags?: number;
  counter?: number;
}

/** Parse an armored SSHSIG; throws an Error saying what is wrong. */
export function parseSshSig(armored: string): ParsedSshSig {
  const m = ARMOR.exec(armored);
  if (!m) throw new Error('not an SSH signature (expected -----BEGIN SSH SIGNATURE-----)');
  const r = new SshReader(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'), 'SSH signature');
  if (!r.bytes(6).equals(MAGIC)) throw new Error('not an SSHSIG signature (bad preamble)');
  const version = r.u32();
  if (version !== 1) throw new Error(`SSHSIG version ${version} is not supported`);
  const signer = parseSshPublicKeyBlob(r.string());
  const namespace = r.text();
  r.string(); // reserved
  const hashAlgorithm = r.text();
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') {
    throw new Error(`SSHSIG hash algorithm ${hashAlgorithm} is not supported`);
  }
  const sig = new SshReader(r.string(), 'SSH signature blob');
  if (!r.done) throw new Error('the SSH signature has trailing bytes');
  const sigType = sig.text();
  const signature = sig.string();
  const parsed: ParsedSshSig = { signer, namespace, hashAlgorithm, sigType, signature };
  if (sigType === SK_SSH_ED25519) {
    parsed.flags = sig.u8();
    parsed.counter = sig.u32();
  }
  if (!sig.done) throw new Error('the SSH signature blob has trailing bytes');
  return parsed;
}

/** The bytes SSHSIG signs for `message` (before the sk wrapping). */
export function sshSigSignedData(
  message: Buffer,
  namespace: string,
  hashAlgorithm: 'sha256' | 'sha512',
): Buffer {
  return Buffer.concat([
    MAGIC,
    sshString(namespace),
    sshString(''),
    sshString(hashAlgorithm),
    sshString(createHash(hashAlgorithm).update(message).digest()),
  ]);
}

export type SshSigCheck = { ok: true; signer: SshPublicKey } | { ok: false; reason: string };

/**
 * Does `armored` sign `message` in `namespace` with exactly the registered `expected` key? The
 * signer key is compared blob for blob, so an sk key must be registered as the sk key (its
 * application is part of what is verified).
 */
export function verifySshSig(
  armored: string,
  message: string,
  expected: SshPublicKey,
  namespace: string = SSHSIG_NAMESPACE,
): SshSigCheck {
  let sig: ParsedSshSig;
  try {
    sig = parseSshSig(armored);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  if (sig.namespace !== namespace) {
    return {
      ok: false,
      reason: `the SSH signature is for namespace "${sig.namespace}", not "${namespace}" (sign with -n ${namespace})`,
    };
  }
  if (!sig.signer.blob.equals(expected.blob)) {
    return { ok: false, reason: `signed with another SSH key (${sig.signer.type}), not the registered key` };
  }
  if (sig.sigType !== sig.signer.type) {
    return {
      ok: false,
      reason: `the signature type ${sig.sigType} does not match the key type ${sig.signer.type}`,
    };
  }
  const data = sshSigSignedData(Buffer.from(message, 'utf8'), namespace, sig.hashAlgorithm);
  let signed: Buffer = data;
  if (sig.sigType === SK_SSH_ED25519) {
    if (((sig.flags ?? 0) & USER_PRESENT) === 0) {
      return { ok: false, reason: 'the security-key signature was made without user presence (no touch)' };
    }
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(sig.counter ?? 0);
    signed = Buffer.concat([
      createHash('sha256')
        .update(sig.signer.application ?? '')
        .digest(),
      Buffer.from([sig.flags ?? 0]),
      counter,
      createHash('sha256').update(data).digest(),
    ]);
  } else if (sig.sigType !== SSH_ED25519) {
    return { ok: false, reason: `SSH signature type ${sig.sigType} is not supported` };
  }
  let good = false;
  try {
    good = edVerify(null, signed, expected.publicKey, sig.signature);
  } catch {
    good = false;
  }
  return good
    ? { ok: true, signer: sig.signer }
    : { ok: false, reason: 'the SSH signature does not verify against the registered key' };
}
