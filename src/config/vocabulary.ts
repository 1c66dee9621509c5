/**
 * Names, severities and finding types: the vocabulary every part of the config shares
 * (./schema.ts re-exports the public ones).
 */
import { z } from 'zod';

export const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected a lower-case name: letters, digits and dashes');
export const principalName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/, 'expected a principal name: letters, digits, . _ @ -');

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;

export const FINDING_TYPES = [
  'dormant',
  'reenabled',
  'orphaned',
  'long-lived',
  'expired-enabled',
  'revoked-still-used',
  /** Use on the revocation day from a day-precision signal: it may predate the revocation (ADR 051). */
  'revoked-possibly-used',
] as const;
export const findingTypeSchema = z.enum(FINDING_TYPES);
export type FindingType = z.infer<typeof findingTypeSchema>;
