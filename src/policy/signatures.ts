/**
 * Control owners' signatures over a policy digest, kept in a file next to the config (not in
 * the state store: whoever can write the store must not be able to bring a signature along).
 * The payload has its own kind, `nhi-policy-signature`: the approval parser accepts only
 * `nhi-approval` and the actor parser only `nhi-actor`, so a policy signature never counts as
 * an approval or an actor proof, nor the reverse. It also binds the digest of the policy it
 * replaces (`previousDigest`), so an older signed policy cannot be rolled back in silently.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type Ed25519Proof,
  signCanonical,
  signedObjectOfKind,
  verifyEd25519WithKey,
} from '../approval/signing/proof.js';
import { canonicalJson } from '../lib/canonical.js';
import { ConfigError } from '../lib/errors.js';
import type { ControlOwners, PolicySource } from './document.js';

export const DEFAULT_SIGNATURES_FILE = 'nhi.policy.sig.json';

export interface PolicySignaturePayload {
  kind: 'nhi-policy-signature';
  policyDigest: string;
  /** The adopted policy this one replaces; null for the first. */
  previousDigest: string | null;
  principal: string;
  signedAt: string;
}

export interface PolicySignature {
  principal: string;
  policyDigest: string;
  previousDigest: string | null;
  signedAt: string;
  proof: Ed25519Proof;
}

export interface SignaturesFile {
  kind: 'nhi-policy-signatures';
  version: 1;
  signatures: PolicySignature[];
}

export function signaturesPath(config: PolicySource): string {
  const base = config.baseDir ?? (config.sourcePath ? dirname(config.sourcePath) : process.cwd());
  const file = config.policy.signaturesFile ?? DEFAULT_SIGNATURES_FILE;
  return file.startsWith('/') ? file : join(base, file);
}

function payloadOf(fields: Omit<PolicySignaturePayload, 'kind'>): PolicySignaturePayload {
  return {
    kind: 'nhi-policy-signature',
    policyDigest: fields.policyDigest,
    previousDigest: fields.previousDigest,
    principal: fields.principal,
    signedAt: fields.signedAt,
  };
}

export function signPolicy(
  privateKey: KeyObject,
  fields: Omit<PolicySignaturePayload, 'kind'>,
): PolicySignature {
  const payload = payloadOf(fields);
  return { ...fields, proof: signCanonical(privateKey, canonicalJson(payload)) };
}

/** Every signature in the file (any digest); a missing file holds none. */
export function readSignatures(path: string): PolicySignature[] {
  if (!existsSync(path)) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`policy signatures file ${path} is not valid JSON (${(error as Error).name})`);
  }
  const list = (raw as Partial<SignaturesFile> | null)?.signatures;
  if ((raw as Partial<SignaturesFile> | null)?.kind !== 'nhi-policy-signatures' || !Array.isArray(list)) {
    throw new ConfigError(`policy signatures file ${path} is not an nhi-policy-signatures file`);
  }
  return list as PolicySignature[];
}

/**
 * Add `signature`, replacing an earlier one by the same principal for the same change. Other
 * digests stay: several configs may share a directory, and a stale signature counts for nothing.
 */
export function appendSignature(path: string, signature: PolicySignature): void {
  const kept = readSignatures(path).filter(
    (s) =>
      !(
        s.principal === signature.principal &&
        s.policyDigest === signature.policyDigest &&
        s.previousDigest === signature.previousDigest
      ),
  );
  const file: SignaturesFile = {
    kind: 'nhi-policy-signatures',
    version: 1,
    signatures: [...kept, signature],
  };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
}

export type SignatureCheck = { ok: true; principal: string; keyId: string } | { ok: false; reason: string };

/**
 * Does `sig` prove that one of `owners` signed exactly (policyDigest, previousDigest)? The key
 * is the control owner's PINNED key, never one the signature or the current config brings.
 */
export function verifyPolicySignature(
  sig: unknown,
  expected: { policyDigest: string; previousDigest: string | null },
  owners: ControlOwners,
): SignatureCheck {
  if (sig === null || typeof sig !== 'object') return { ok: false, reason: 'not a signature' };
  const s = sig as Partial<PolicySignature>;
  const principal = typeof s.principal === 'string' ? s.principal : '(unnamed)';
  const pinned = Object.hasOwn(owners.principals, principal) ? owners.principals[principal] : undefined;
  if (!pinned) return { ok: false, reason: `${principal} is not a control owner` };
  let key: KeyObject;
  try {
    key = createPublicKey(pinned.publicKey);
  } catch {
    return { ok: false, reason: `the pinned key of ${principal} does not load` };
  }
  const checked = verifyEd25519WithKey(s.proof, key);
  if (!checked.ok) return { ok: false, reason: `${principal}: ${checked.reason}` };
  const text = checked.proof.signedPayload;
  const p = signedObjectOfKind(text, 'nhi-policy-signature');
  if (
    !p ||
    typeof p.policyDigest !== 'string' ||
    typeof p.signedAt !== 'string' ||
    (p.previousDigest !== null && typeof p.previousDigest !== 'string') ||
    canonicalJson(payloadOf(p as unknown as PolicySignaturePayload)) !== text
  ) {
    return { ok: false, reason: `${principal}: the signed payload is not a canonical nhi-policy-signature` };
  }
  if (p.principal !== principal)
    return { ok: false, reason: `the signature names ${String(p.principal)}, not ${principal}` };
  if (p.policyDigest !== expected.policyDigest)
    return {
      ok: false,
      reason: `${principal} signed policy ${p.policyDigest}, not ${expected.policyDigest}`,
    };
  if (p.previousDigest !== expected.previousDigest)
    return {
      ok: false,
      reason: `${principal} signed it as a change from ${p.previousDigest ?? '(no policy)'}, but the adopted policy is ${expected.previousDigest ?? '(none)'}: sign again`,
    };
  return { ok: true, principal, keyId: checked.keyId };
}

export interface QuorumCount {
  /** Principals whose signatures count, one per distinct key. */
  signers: string[];
  signatures: PolicySignature[];
  need: number;
  met: boolean;
  ignored: { principal: string; reason: string }[];
}

/** Count the signatures for (policyDigest, previousDigest) by distinct pinned keys. */
export function countSignatures(
  all: readonly PolicySignature[],
  expected: { policyDigest: string; previousDigest: string | null },
  owners: ControlOwners,
): QuorumCount {
  const keys = new Set<string>();
  const signers: string[] = [];
  const signatures: PolicySignature[] = [];
  const ignored: QuorumCount['ignored'] = [];
  for (const sig of all) {
    if (sig?.policyDigest !== expected.policyDigest) continue;
    const check = verifyPolicySignature(sig, expected, owners);
    if (!check.ok) {
      ignored.push({ principal: String(sig.principal), reason: check.reason });
      continue;
    }
    // A quorum counts keys, not names (nor the same signature twice).
    if (keys.has(check.keyId)) continue;
    keys.add(check.keyId);
    signers.push(check.principal);
    signatures.push(sig);
  }
  return { signers, signatures, need: owners.quorum, met: keys.size >= owners.quorum, ignored };
}
