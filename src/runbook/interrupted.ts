/**
 * A run whose state store stopped accepting writes (disk full) mid-run. The step that was
 * executing may have taken effect at the provider without its outcome being recorded, so the
 * run cannot be finished here. What is still possible: read what the run did, try once to
 * mark it (needs-attention if anything may be revoked), alert even if nothing can be
 * recorded, and tell the operator how to continue. A run left `running` with no live lease
 * shows as interrupted in `nhi status`, and `nhi resume` asks the provider what happened.
 */
import { NhiError } from '../lib/errors.js';
import type { RunRecord } from '../store/types.js';
import type { EngineDeps } from './engine.js';
import { alert } from './failure.js';
import { releaseIdentityAtEnd } from './leases.js';
import type { Plan } from './plan.js';

export async function interruptedByStore(
  deps: EngineDeps,
  runId: string,
  plan: Plan | undefined,
  error: unknown,
): Promise<NhiError> {
  const reason = error instanceof Error ? error.message : String(error);
  const run = await deps.store.runs.get(runId).catch(() => undefined);
  const steps = await deps.store.runs.steps(runId).catch(() => []);
  // An intent without an outcome may have revoked: assume the worst, as resume does.
  const mayHaveRevoked = steps.some((s) => s.type === 'revoke' && s.status !== 'pending');
  const status = mayHaveRevoked ? ('needs-attention' as const) : ('failed' as const);
  const note = `state store cannot be written (${reason})`;
  const recorded = run && plan ? await markRun(deps, run, plan, status, note) : false;
  const shown = recorded ? status : 'interrupted';
  if (run && plan) {
    await alert(deps, run, plan, shown, `run ${shown}: ${note}`).catch((e: unknown) =>
      deps.logger.error({ runId, error: (e as Error).message }, 'could not send the failure alert'),
    );
  }
  const revokedNote = mayHaveRevoked
    ? 'the old credential may already be revoked, and the new one may not exist yet'
    : 'nothing was revoked';
  return new NhiError(
    'store',
    `run ${runId} ${recorded ? `is ${status}` : 'was interrupted'}: the ${note}; ${revokedNote}. ` +
      `Free space for the state store, then continue with: nhi resume ${runId}`,
    { cause: error, context: { runId, status: shown } },
  );
}

/** One attempt, all or nothing (status and its audit entry together); false if the store still refuses. */
async function markRun(
  deps: EngineDeps,
  run: RunRecord,
  plan: Plan,
  status: 'needs-attention' | 'failed',
  note: string,
): Promise<boolean> {
  try {
    await deps.store.transaction(async (tx) => {
      const at = deps.now().toISOString();
      await tx.runs.update(run.id, { status, error: note });
      await releaseIdentityAtEnd(tx, plan.ref, run.id, status);
      await tx.requests.update(run.requestId, { status, updatedAt: at });
      await deps.audit.record(tx.audit, {
        type: `run.${status}`,
        actor: run.executor,
        subject: run.id,
        data: { error: note },
      });
    });
    return true;
  } catch (error) {
    deps.logger.error({ runId: run.id, error: (error as Error).message }, 'could not record the run status');
    return false;
  }
}
