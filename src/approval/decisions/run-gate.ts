import type { AuditLog } from '../../audit/log.js';
import { NotFoundError, PolicyError } from '../../lib/errors.js';
import type { Store, StoreTx } from '../../store/store.js';
import type { OwnerRegistry } from '../owners/owner-registry.js';
import { authorizeRun, type RunAuthorization } from './authorize.js';
import type { PolicyConfig } from './quorum.js';
import { recordRefusal } from './refusal.js';
import { type TrustedRequest, trustedRequest } from './signed-request.js';

export interface RunGateInput {
  requestId: string;
  executor: string;
  now: Date;
  breakGlass?: { reason?: string };
}

/**
 * Load a request and its approvals from `tx` and authorize the run. Call it inside the
 * transaction that inserts the run record, so a deny recorded a moment earlier is seen.
 */
export async function authorizeStoredRun(
  tx: Pick<StoreTx, 'requests' | 'approvals'>,
  deps: { config: PolicyConfig; registry: OwnerRegistry },
  input: RunGateInput,
): Promise<{ request: TrustedRequest; authorization: RunAuthorization }> {
  const row = await tx.requests.get(input.requestId);
  if (!row) throw new NotFoundError(`no request ${input.requestId}`);
  // The digest is recomputed here, inside the transaction that starts the run: what runs is what was signed.
  const request = trustedRequest(row);
  const approvals = await tx.approvals.forRequest(request.id);
  const authorization = authorizeRun({
    request,
    approvals,
    executor: input.executor,
    now: input.now,
    config: deps.config,
    registry: deps.registry,
    ...(input.breakGlass ? { breakGlass: input.breakGlass } : {}),
  });
  return { request, authorization };
}

/**
 * The same, outside any transaction, recording a refusal as `run.refused` {rule, executor,
 * requestId, breakGlass} in its own transaction (and marking an expired request expired).
 * For `nhi run` before it starts; the engine re-checks with authorizeStoredRun in its own transaction.
 */
export async function gateRun(
  deps: { store: Store; audit: AuditLog; config: PolicyConfig; registry: OwnerRegistry },
  input: RunGateInput,
): Promise<{ request: TrustedRequest; authorization: RunAuthorization }> {
  try {
    return await authorizeStoredRun(deps.store, deps, input);
  } catch (error) {
    if (error instanceof PolicyError) {
      await recordRefusal(
        deps,
        error,
        {
          type: 'run.refused',
          actor: input.executor,
          requestId: input.requestId,
          data: {
            executor: input.executor,
            breakGlass: input.breakGlass !== undefined,
          },
        },
        input.now,
      );
    }
    throw error;
  }
}
