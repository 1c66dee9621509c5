import { recordRefusal } from '../approval/decisions/refusal.js';
import { type TrustedRequest, trustedRequest } from '../approval/decisions/signed-request.js';
import { PolicyError } from '../lib/errors.js';
import type { RecoveryRequest } from '../store/types.js';
import type { EngineDeps } from './engine.js';

/**
 * The request as its owners signed it (trustedRequest), or an audited refusal: a stored plan
 * that no longer hashes to its digest is tampering, and the attempt is evidence.
 */
export async function trustedOrRefused(
  deps: Pick<EngineDeps, 'store' | 'audit' | 'now'>,
  row: RecoveryRequest,
  refusal: { type: string; actor: string; data?: Record<string, unknown> },
): Promise<TrustedRequest> {
  try {
    return trustedRequest(row);
  } catch (error) {
    if (error instanceof PolicyError) {
      await recordRefusal(deps, error, { ...refusal, requestId: row.id }, deps.now());
    }
    throw error;
  }
}
