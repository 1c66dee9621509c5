/**
 * What each finding type means and what to do about it: the SARIF rules' help and the OCSF
 * finding_info / remediation text come from here, so the two formats never explain a type
 * differently. A Record over FindingType: a new type fails to compile until it is documented.
 * Commands and keys are in backticks: code spans in SARIF's help.markdown (where `<ref>` would
 * otherwise be read as an HTML tag), plain quotes elsewhere.
 * OWASP NHI Top 10 (2025) references: NHI1 Improper Offboarding, NHI2 Secret Leakage, NHI7
 * Long-Lived Secrets (docs/adr/055-sarif-ocsf.md).
 */
import type { FindingType } from '../../config/schema.js';
import { own } from '../../lib/own.js';

export interface FindingDoc {
  /** PascalCase, for SARIF `rule.name`. */
  name: string;
  title: string;
  description: string;
  remediation: string;
  owaspNhi: 'NHI1' | 'NHI2' | 'NHI7';
}

export const FINDING_DOCS: { readonly [T in FindingType]: FindingDoc } = {
  dormant: {
    name: 'DormantCredential',
    title: 'Dormant credential',
    description:
      "Not used for longer than its tier's dormancy threshold (`scan.standard|privileged.dormantDays`), or never used and older than it. An unused credential that stays valid is standing access nobody watches.",
    remediation:
      'Ask the owner whether it is still needed. If not, revoke it with a recovery runbook (`nhi plan <ref> --runbook <id>`, then `nhi request`). The evidence names the last-use signal and its confidence: `weak` or `none` means the provider cannot prove the credential is unused.',
    owaspNhi: 'NHI1',
  },
  reenabled: {
    name: 'ReenabledCredential',
    title: 'Re-enabled credential',
    description:
      'Disabled or deleted in an earlier scan (or the provider shows it was) and enabled now: a secret restored from deletion, a Vault entity whose `disabled` flag was cleared. Bringing a retired credential back is a common persistence step.',
    remediation:
      'Confirm with the owner who re-enabled it and why. If nobody can account for it, treat it as compromised and run its revoke-then-reissue runbook. Rotating, disabling or deleting it resolves the finding.',
    owaspNhi: 'NHI1',
  },
  orphaned: {
    name: 'OrphanedCredential',
    title: 'Credential without a known owner',
    description:
      'No owner resolves from the provider tags or metadata and the owner registry, or a named owner is not in the registry. Only break-glass can approve its recovery, and no owner hears when it misbehaves.',
    remediation:
      'Tag it with an owner from the signed owner registry (config `owners.tagKeys`), or add the named owner to the registry. Until then the break-glass principals are its contacts.',
    owaspNhi: 'NHI1',
  },
  'long-lived': {
    name: 'LongLivedCredential',
    title: 'Long-lived credential',
    description:
      'Not rotated for longer than its tier allows (`scan.standard|privileged.maxAgeDays`), counted from the last rotation, else from creation. The longer a secret lives, the more copies of it exist.',
    remediation:
      "Rotate it with the owner's approval: a `reissue-then-revoke` runbook for planned rotation (`nhi plan <ref> --runbook <id>`).",
    owaspNhi: 'NHI7',
  },
  'expired-enabled': {
    name: 'ExpiredCredentialEnabled',
    title: 'Expired credential still enabled',
    description: 'Past its expiry date but still enabled, so the expiry protects nothing.',
    remediation: 'Disable or revoke it; if it is still needed, reissue it with a new expiry.',
    owaspNhi: 'NHI7',
  },
  'revoked-still-used': {
    name: 'RevokedCredentialUsed',
    title: 'Revoked credential still in use',
    description:
      'A credential that a recovery run revoked shows use after the revocation: whoever holds the old value may be an attacker. An incident finding: it never resolves by itself.',
    remediation:
      'Treat it as an incident: find the caller in the provider logs (CloudTrail, the Vault audit device), rotate whatever it reached, then close it with `nhi findings ack <finding-id> --as <principal> --reason TEXT`.',
    owaspNhi: 'NHI2',
  },
  'revoked-possibly-used': {
    name: 'RevokedCredentialPossiblyUsed',
    title: 'Revoked credential possibly used',
    description:
      'The last-use signal cannot order a use and the revocation (a day-precision date on the revocation day, or a weak signal after it): the old credential may have been used after it was revoked. It never resolves by itself.',
    remediation:
      "Check the provider's own logs for the revocation day; once explained, close it with `nhi findings ack <finding-id> --as <principal> --reason TEXT`.",
    owaspNhi: 'NHI2',
  },
};

/** The doc for a stored type, or a generic one for a type this release does not know (older store rows). */
export function findingDoc(type: string): FindingDoc {
  return (
    own<FindingDoc>(FINDING_DOCS, type) ?? {
      name: 'UnknownFinding',
      title: type,
      description: `A finding of type ${type}.`,
      remediation: 'See the finding evidence.',
      owaspNhi: 'NHI1',
    }
  );
}
