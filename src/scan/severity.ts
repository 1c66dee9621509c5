/**
 * The severity table (docs/adr/051-finding-severity.md). One base severity per finding
 * type; a privileged identity raises it one level (capped at critical).
 */
import { FINDING_TYPES, type FindingType, SEVERITIES, type Severity } from '../config/schema.js';

export type Tier = 'standard' | 'privileged';

/** Base severity per finding type for a standard-tier identity. */
export const BASE_SEVERITY: { readonly [T in FindingType]: Severity } = {
  dormant: 'low',
  reenabled: 'high',
  orphaned: 'medium',
  'long-lived': 'low',
  'expired-enabled': 'medium',
  'revoked-still-used': 'critical',
  // Same-day use from a day-precision signal: as likely before the revocation as after it.
  'revoked-possibly-used': 'high',
};

/** Weaker variants: a re-enable seen only in provider evidence, an owner list with some unknown names. */
export const WEAK_SEVERITY: Partial<{ readonly [T in FindingType]: Severity }> = {
  reenabled: 'medium',
  orphaned: 'info',
};

export function severityRankOf(s: string): number {
  return SEVERITIES.indexOf(s as Severity);
}

export function raise(s: Severity, levels = 1): Severity {
  return SEVERITIES[Math.min(SEVERITIES.length - 1, severityRankOf(s) + levels)] as Severity;
}

export function severityFor(type: FindingType, tier: Tier, weak = false): Severity {
  const base = (weak ? WEAK_SEVERITY[type] : undefined) ?? BASE_SEVERITY[type];
  return tier === 'privileged' ? raise(base) : base;
}

export function atLeast(s: string, min: Severity): boolean {
  return severityRankOf(s) >= severityRankOf(min);
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

export function isFindingType(t: string): t is FindingType {
  return (FINDING_TYPES as readonly string[]).includes(t);
}

/** Highest first; used to sort reports and pick which alerts to send in detail. */
export const SEVERITIES_DESC: readonly Severity[] = [...SEVERITIES].reverse();
