/**
 * The policy document: the part of the config that decides who may approve what (the owner
 * registry, tiers, the approval policy) and who answers for that design (the control owners),
 * as canonical JSON (RFC 8785). Its digest is what control owners sign (signatures.ts) and
 * what every decision records (`policyDigest`). Provider blocks, schedules and notify targets
 * are operational and left out: changing them needs no control owner.
 */

import { createOwnerRegistry } from '../approval/owners/owner-registry.js';
import type { ParsedConfig, TierPolicy } from '../config/schema.js';
import { canonicalDigest } from '../lib/canonical.js';
import { ConfigError } from '../lib/errors.js';

/** A public key as the document holds it: its id and SPKI PEM (never a file: reference). */
export interface PolicyKey {
  keyId: string;
  publicKey: string;
}

/** Who must sign a change of the policy, with their keys: pinned in the audit log. */
export interface ControlOwners {
  quorum: number;
  principals: Record<string, PolicyKey>;
}

export interface PolicyDocument {
  kind: 'nhi-policy';
  version: 1;
  owners: {
    tagKeys: string[];
    principals: Record<string, PolicyKey>;
    teams: Record<string, string[]>;
    breakGlass: string[];
  };
  tiers: ParsedConfig['tiers'];
  policy: {
    standard: TierPolicy;
    privileged: TierPolicy;
    requestTtlHours: number;
    requireSignedActors: boolean;
    securityAlert: string[];
    controlOwners: ControlOwners;
  };
}

/** What the document is built from: the parsed config and where its `file:` keys resolve. */
export type PolicySource = Pick<ParsedConfig, 'owners' | 'tiers' | 'policy'> & {
  baseDir?: string;
  sourcePath?: string;
};

export function policyDocument(config: PolicySource): PolicyDocument {
  const registry = createOwnerRegistry(config.owners, config.baseDir ?? process.cwd());
  const keyOf = (name: string): PolicyKey | undefined => {
    const p = registry.principal(name);
    return p ? { keyId: p.keyId, publicKey: p.publicKeyPem } : undefined;
  };
  const control = config.policy.controlOwners;
  if (!control) {
    throw new ConfigError(
      'policy.controlOwners is not set: decisions are refused until the policy names its control owners and they sign it',
      [
        {
          path: 'policy.controlOwners',
          message: 'missing',
          expected:
            '{ "principals": ["<registered principal>", ...], "quorum": 1 }, then nhi policy sign --as <control owner> --key <key file>',
        },
      ],
    );
  }
  const controlPrincipals: Record<string, PolicyKey> = {};
  for (const name of control.principals) {
    const key = keyOf(name);
    if (!key) {
      throw new ConfigError(`policy.controlOwners names "${name}", who is not a registered principal`);
    }
    controlPrincipals[name] = key;
  }
  const principals: Record<string, PolicyKey> = {};
  // A principal's key as registered (the OpenSSH line for SSH keys: its type and, for a security
  // key, its FIDO application are part of what a proof is checked against).
  for (const name of registry.names()) {
    const p = registry.principal(name);
    if (p) principals[name] = { keyId: p.keyId, publicKey: p.recordedKey };
  }
  return {
    kind: 'nhi-policy',
    version: 1,
    owners: {
      tagKeys: [...config.owners.tagKeys],
      principals,
      teams: config.owners.teams,
      breakGlass: [...config.owners.breakGlass],
    },
    tiers: config.tiers,
    policy: {
      standard: config.policy.standard,
      privileged: config.policy.privileged,
      requestTtlHours: config.policy.requestTtlHours,
      requireSignedActors: config.policy.requireSignedActors,
      securityAlert: [...config.policy.securityAlert],
      controlOwners: { quorum: control.quorum, principals: controlPrincipals },
    },
  };
}

/** `sha256:<hex>` of the canonical document. */
export function policyDigestOf(document: PolicyDocument): string {
  return canonicalDigest(document);
}

/** Same control owners (names and keys) and quorum? Decides whether an adoption re-pins. */
export function sameControlOwners(a: ControlOwners, b: ControlOwners): boolean {
  const names = (c: ControlOwners) => Object.keys(c.principals).sort();
  const an = names(a);
  const bn = names(b);
  return (
    a.quorum === b.quorum &&
    an.length === bn.length &&
    an.every((n, i) => n === bn[i] && a.principals[n]?.keyId === b.principals[n]?.keyId)
  );
}
