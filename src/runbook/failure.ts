/**
 * How a run ends when a step cannot complete. The rules that make recovery safe live here:
 * once anything was revoked in revoke-then-reissue the run needs a human and the old
 * credential is never re-enabled; in reissue-then-revoke an unverified new version is
 * removed and the old credential is left untouched.
 */
import { NhiError, PolicyError } from '../lib/errors.js';
import { parseRef } from '../lib/ref.js';
import { createNotifier } from '../notify/notifier.js';
import type { DeliveryRecord, RunRecord, StepRecord } from '../store/types.js';
import { storeCannotWrite } from '../store/write-failure.js';
import type { EngineDeps } from './engine.js';
import { releaseIdentityAtEnd } from './leases.js';
import type { Plan } from './plan.js';

/**
 * A step failed after its final attempt. In revoke-then-reissue, once anything was revoked
 * the run needs a human: it is never rolled back by re-enabling the old credential.
 */
export async function failStep(
  deps: EngineDeps,
  run: RunRecord,
  plan: Plan,
  base: StepRecord,
  error: unknown,
): Promise<RunRecord> {
  if (error instanceof PolicyError) throw error;
  const message = error instanceof Error ? error.message : String(error);
  const facts = (await deps.store.runs.get(run.id))?.facts;
  const revokedSomething = (facts?.revoked?.length ?? 0) > 0 || base.type === 'revoke';
  const status = revokedSomething ? 'needs-attention' : 'failed';
  await deps.store.transaction(async (tx) => {
    const at = deps.now().toISOString();
    await tx.runs.upsertStep({
      ...base,
      status: 'failed',
      attempts: base.attempts + 1,
      outcome: { error: message },
      updatedAt: at,
    });
    await tx.runs.update(run.id, { status, error: `step ${base.stepId} failed: ${message}` });
    await releaseIdentityAtEnd(tx, plan.ref, run.id, status);
    await tx.requests.update(run.requestId, { status, updatedAt: at });
    await deps.audit.record(tx.audit, {
      type: `run.${status}`,
      actor: run.executor,
      subject: run.id,
      data: { stepId: base.stepId, error: message },
    });
    await deps.audit.checkpoint(tx.audit);
  });
  await alert(deps, run, plan, status, `step ${base.stepId} failed: ${message}`);
  if (error instanceof NhiError && error.code === 'audit') throw error;
  return (await deps.store.runs.get(run.id)) as RunRecord;
}

/** The new credential did not verify. */
export async function failVerify(
  deps: EngineDeps,
  run: RunRecord,
  plan: Plan,
  base: StepRecord,
  outcome: Record<string, unknown>,
): Promise<RunRecord> {
  const facts = (await deps.store.runs.get(run.id))?.facts ?? {};
  const issued = (outcome.versionId as string | undefined) ?? facts?.issued?.versionId;
  let status: RunRecord['status'] = 'needs-attention';
  let note = 'new credential did not verify; the old one stays revoked (never re-enabled automatically)';
  if (plan.runbook.order === 'reissue-then-revoke') {
    const provider = await deps.provider(parseRef(plan.ref).instance);
    const runFacts = (await deps.store.runs.get(run.id))?.facts ?? {};
    if (provider.discard && runFacts.issued) {
      await provider.discard(parseRef(plan.ref), runFacts.issued, {
        runId: run.id,
        stepId: base.stepId,
        idempotencyKey: `${run.id}:${base.stepId}:discard`,
        fingerprint: deps.fingerprint,
        logger: deps.logger,
        params: {},
      });
    }
    status = 'failed';
    note = `new version ${issued} did not verify and was removed; the old credential was not touched`;
  }
  await deps.store.transaction(async (tx) => {
    const at = deps.now().toISOString();
    await tx.runs.upsertStep({
      ...base,
      status: 'failed',
      attempts: base.attempts + 1,
      outcome: { ...outcome, note },
      updatedAt: at,
    });
    await tx.runs.update(run.id, { status, error: note });
    await releaseIdentityAtEnd(tx, plan.ref, run.id, status);
    await tx.requests.update(run.requestId, { status, updatedAt: at });
    await deps.audit.record(tx.audit, {
      type: `run.${status}`,
      actor: run.executor,
      subject: run.id,
      data: { stepId: base.stepId, note, issued: issued ?? null },
    });
    await deps.audit.checkpoint(tx.audit);
  });
  await alert(deps, run, plan, status, note);
  return (await deps.store.runs.get(run.id)) as RunRecord;
}

/** The failure alert. Sent even when the store cannot record the delivery (disk full). */
export async function alert(
  deps: EngineDeps,
  run: RunRecord,
  plan: Pick<Plan, 'ref' | 'policy'>,
  status: string,
  summary: string,
): Promise<void> {
  const targets = [
    ...deps.config.policy.securityAlert,
    ...deps.config.policy[plan.policy.tier].alert,
    ...Object.keys(deps.config.notify),
  ];
  const event = {
    event: `run.${status}`,
    severity: status === 'failed' ? ('high' as const) : ('critical' as const),
    subject: run.id,
    summary: `${plan.ref}: ${summary}. Inspect with: nhi status ${run.id}; continue with: nhi resume ${run.id}`,
    data: { ref: plan.ref, runId: run.id, requestId: run.requestId, status },
  };
  try {
    await deps.notifier.notify(targets, event);
  } catch (error) {
    if (!storeCannotWrite(error)) throw error;
    // The delivery cannot be recorded; an unrecorded alert beats a silent one.
    deps.logger.warn({ runId: run.id, event: event.event }, 'state store full: alert delivered unrecorded');
    await unrecordedNotifier(deps).notify(targets, event);
  }
}

function unrecordedNotifier(deps: EngineDeps) {
  const kept = new Map<string, DeliveryRecord>();
  return createNotifier({
    targets: deps.config.notify,
    logger: deps.logger,
    now: deps.now,
    deliveries: {
      insert: async (d) => void kept.set(d.id, d),
      update: async (id, patch) => {
        const d = kept.get(id);
        if (d) kept.set(id, { ...d, ...patch });
      },
      list: async () => [...kept.values()],
    },
  });
}
