/**
 * The owner registry: the principals named in config (`owners.principals`) with their
 * Ed25519 public keys loaded once, plus teams and the break-glass group. Approvals are
 * verified against these keys only — a key that is not registered proves nothing.
 */
import type { KeyObject } from 'node:crypto';
import { keyIdOf, publicKeyFrom, publicKeyText } from '../../audit/keys.js';
import type { ParsedConfig } from '../../config/schema.js';
import { isSshPublicKeyLine, parseSshPublicKeyLine, type SshPublicKey } from '../signing/ssh-key.js';
import { isBreakGlassPrincipal, type OwnerResolution, resolveOwners } from './owners.js';

export interface RegisteredPrincipal {
  name: string;
  publicKey: KeyObject;
  /** SPKI PEM of the key; copied into every approval audit entry for offline re-verification. */
  publicKeyPem: string;
  keyId: string;
  /** Set when the principal registered an OpenSSH key: what SSHSIG proofs are checked against. */
  ssh?: SshPublicKey;
  /** The key as recorded in decision audit entries: the OpenSSH line when registered so, else the PEM. */
  recordedKey: string;
  email?: string;
  displayName?: string;
}

export interface OwnerRegistry {
  principal(name: string): RegisteredPrincipal | undefined;
  /** Registered principal names, sorted. */
  names(): string[];
  /** Tag owners (principals or teams) -> registered principals; see resolveOwners. */
  resolve(tagOwners: readonly string[]): OwnerResolution;
  /** The subset of `owners` that are registered principals (a request's owners may predate a config change). */
  registeredOwners(owners: readonly string[]): string[];
  isBreakGlass(principal: string): boolean;
}

/** Build the registry from `owners` config; `file:` keys resolve against `baseDir` (the config's directory). */
export function createOwnerRegistry(owners: ParsedConfig['owners'], baseDir: string): OwnerRegistry {
  const principals = new Map<string, RegisteredPrincipal>();
  for (const [name, p] of Object.entries(owners.principals)) {
    const what = `owners.principals.${name}.publicKey`;
    const publicKey = publicKeyFrom(p.publicKey, baseDir, what);
    const text = publicKeyText(p.publicKey, baseDir, what);
    const ssh = isSshPublicKeyLine(text) ? parseSshPublicKeyLine(text) : undefined;
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    principals.set(name, {
      name,
      publicKey,
      publicKeyPem,
      keyId: keyIdOf(publicKey),
      ...(ssh ? { ssh } : {}),
      recordedKey: ssh ? `${ssh.type} ${ssh.blob.toString('base64')}` : publicKeyPem,
      ...(p.email ? { email: p.email } : {}),
      ...(p.displayName ? { displayName: p.displayName } : {}),
    });
  }
  return {
    principal: (name) => principals.get(name),
    names: () => [...principals.keys()].sort(),
    resolve: (tagOwners) => resolveOwners(tagOwners, owners),
    registeredOwners: (list) => [...new Set(list.filter((n) => principals.has(n)))].sort(),
    isBreakGlass: (principal) => principals.has(principal) && isBreakGlassPrincipal(principal, owners),
  };
}

export function ownerRegistryFromConfig(
  config: Pick<ParsedConfig, 'owners'> & { baseDir: string },
): OwnerRegistry {
  return createOwnerRegistry(config.owners, config.baseDir);
}
