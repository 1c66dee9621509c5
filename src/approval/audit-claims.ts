import type { EntryChecker } from '../audit/verify.js';
import type { ParsedConfig } from '../config/schema.js';

/**
 * Audit entry types whose claims `nhi audit verify` re-checks offline, by type.
 * Approval signatures are registered here by the approval module.
 */
export function auditClaimCheckers(_config: ParsedConfig): Record<string, EntryChecker> {
  return {};
}
