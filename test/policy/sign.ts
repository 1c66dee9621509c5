/**
 * Test worlds sign their policy the way `nhi policy sign` does: one signature per control
 * owner over the current document, written to the signatures file next to the config.
 */
import type { KeyObject } from 'node:crypto';
import { type PolicySource, policyDigestOf, policyDocument } from '../../src/policy/document.js';
import { appendSignature, signaturesPath, signPolicy } from '../../src/policy/signatures.js';

/** Add `policy.controlOwners` to a raw config unless it names its own. */
export function withControlOwners(raw: Record<string, unknown>, principals: string[], quorum = 1): void {
  const policy = (raw.policy ?? {}) as Record<string, unknown>;
  raw.policy = { controlOwners: { principals, quorum }, ...policy };
}

/** Sign the config's current policy as each of `signers`; returns the policy digest. */
export function signTestPolicy(
  config: PolicySource,
  signers: Record<string, KeyObject>,
  opts: { previousDigest?: string | null; at?: Date } = {},
): string {
  const digest = policyDigestOf(policyDocument(config));
  for (const [principal, key] of Object.entries(signers)) {
    appendSignature(
      signaturesPath(config),
      signPolicy(key, {
        policyDigest: digest,
        previousDigest: opts.previousDigest ?? null,
        principal,
        signedAt: (opts.at ?? new Date()).toISOString(),
      }),
    );
  }
  return digest;
}
