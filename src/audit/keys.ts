import {
  createPrivateKey,
  createPublicKey,
  sign as edSign,
  verify as edVerify,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  isOpenSshPrivateKey,
  isSshPublicKeyLine,
  openSshPrivateKey,
  parseSshPublicKeyLine,
} from '../approval/signing/ssh-key.js';
import { sha256Hex } from '../lib/canonical.js';
import { ConfigError, UsageError } from '../lib/errors.js';
import type { SecretValue } from '../lib/secret.js';

/**
 * Key ids already derived, per KeyObject (immutable, so the id never goes stale): every signed
 * checkpoint and every verified claim asks, and `KeyObject.export` was a third of a verify's
 * CPU (issue 17). Weak, so a key's entry goes with the key.
 */
const keyIds = new WeakMap<KeyObject, string>();

/** Stable id of a public key: sha256 of its SPKI DER. Stored with every signature. */
export function keyIdOf(publicKey: KeyObject): string {
  let id = keyIds.get(publicKey);
  if (id === undefined) {
    id = `ed25519:${sha256Hex(publicKey.export({ type: 'spki', format: 'der' }))}`;
    keyIds.set(publicKey, id);
  }
  return id;
}

/** An Ed25519 private key: PKCS#8 PEM (`nhi keygen`) or an unencrypted OpenSSH key (`~/.ssh/id_ed25519`). */
export function privateKeyFromPem(pem: SecretValue, what: string): KeyObject {
  try {
    if (isOpenSshPrivateKey(pem.reveal())) return openSshPrivateKey(pem.reveal());
    const key = createPrivateKey(pem.reveal());
    if (key.asymmetricKeyType !== 'ed25519')
      throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType}`);
    return key;
  } catch (error) {
    // The message of a PEM parse failure never contains key material, but do not echo it anyway.
    throw new ConfigError(
      `${what} is not a usable Ed25519 private key (${(error as Error).message.split('\n')[0]})`,
    );
  }
}

/** The key text of an inline key or of "file:PATH" (relative to baseDir). */
export function publicKeyText(text: string, baseDir: string, what: string): string {
  if (!text.startsWith('file:')) return text;
  const path = resolve(baseDir, text.slice(5));
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `${what}: cannot read public key file ${path} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

/**
 * A public key written inline or as "file:PATH": SPKI PEM, or an OpenSSH `ssh-ed25519` /
 * `sk-ssh-ed25519@openssh.com` line (keys owners already have; see approval/signing/ssh-key.ts).
 */
export function publicKeyFrom(text: string, baseDir: string, what: string): KeyObject {
  const pem = publicKeyText(text, baseDir, what);
  if (isSshPublicKeyLine(pem)) {
    try {
      return parseSshPublicKeyLine(pem).publicKey;
    } catch (error) {
      throw new ConfigError(`${what} is not a usable OpenSSH public key (${(error as Error).message})`);
    }
  }
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519')
      throw new Error(`expected Ed25519, got ${key.asymmetricKeyType}`);
    return key;
  } catch (error) {
    throw new ConfigError(
      `${what} is not a usable Ed25519 public key (${(error as Error).message.split('\n')[0]})`,
    );
  }
}

export function signBytes(privateKey: KeyObject, data: string): string {
  return edSign(null, Buffer.from(data, 'utf8'), privateKey).toString('base64');
}

export function verifyBytes(publicKey: KeyObject, data: string, signature: string): boolean {
  try {
    return edVerify(null, Buffer.from(data, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** `nhi keygen --out PREFIX`: PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (SPKI PEM). */
export function writeKeyPair(
  prefix: string,
  opts: { force?: boolean } = {},
): { privatePath: string; publicPath: string; keyId: string } {
  const privatePath = `${prefix}.key`;
  const publicPath = `${prefix}.pub`;
  for (const p of [privatePath, publicPath]) {
    if (existsSync(p) && !opts.force)
      throw new UsageError(`${p} already exists; refusing to overwrite a key (pass --force)`);
  }
  // `nhi keygen --out keys/audit` is the README's first command: make `keys/` (and parents)
  // for it, readable only by the owner, since it is about to hold a private key. An existing
  // directory keeps its mode.
  mkdirSync(dirname(privatePath), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // With --force, remove the old file first: writing over an existing 0644 file would keep its mode
  // until the chmod, leaving the new private key readable for a moment. 'wx' also closes the race
  // between the existence check above and the write.
  if (opts.force) rmSync(privatePath, { force: true });
  writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
    flag: 'wx',
  });
  chmodSync(privatePath, 0o600);
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return { privatePath, publicPath, keyId: keyIdOf(publicKey) };
}
