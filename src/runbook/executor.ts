/**
 * The persisted state machine that executes a plan. For every side effect:
 *   1. commit the step's intent (idempotency key runId:stepId) with an audit entry;
 *      if that commit fails, the provider is never called (fail closed);
 *   2. call the provider;
 *   3. commit the outcome with an audit entry (and, for the completing step, the lineage).
 * A run killed anywhere resumes from its step records: done steps are skipped, a step
 * with an intent but no outcome asks the provider what already happened.
 */
import type { TrustedRequest } from '../approval/decisions/signed-request.js';
import { NhiError, PolicyError, ProviderError } from '../lib/errors.js';
import { NO_FAULTS } from '../lib/failpoint.js';
import { parseRef } from '../lib/ref.js';
import { DEFAULT_RETRY, withRetry } from '../lib/retry.js';
import { InFlightSecrets, scrubError, scrubText } from '../lib/scrub.js';
import type { RunRecord, StepRecord } from '../store/types.js';
import { storeCannotWrite } from '../store/write-failure.js';
import type { EngineDeps } from './engine.js';
import type { RunFacts } from './facts.js';
import { failStep, failVerify } from './failure.js';
import { interruptedByStore } from './interrupted.js';
import { releaseIdentityAtEnd, renewRunLease, startHeartbeat } from './leases.js';
import { completingStepIndex, lineageFor } from './lineage.js';
import type { Plan, PlannedStep } from './plan.js';
import { planTarget } from './planning.js';
import { checkRunbookReferences } from './references.js';
import { STEP_DEFINITIONS } from './steps/index.js';
import type { StepRuntime } from './steps/types.js';
import { trustedOrRefused } from './trusted-request.js';

const STEP_RETRY = { ...DEFAULT_RETRY, attempts: 3, baseDelayMs: 500 };

/** Execute under the run lease taken by startRun / resumeRun: renewed while it runs, released after. */
export async function executeRun(deps: EngineDeps, runId: string): Promise<RunRecord> {
  const heartbeat = startHeartbeat(deps, runId);
  const seen: { plan?: Plan } = {};
  try {
    return await executeLeased(deps, runId, seen);
  } catch (error) {
    if (storeCannotWrite(error)) throw await interruptedByStore(deps, runId, seen.plan, error);
    throw error;
  } finally {
    await heartbeat.stop();
  }
}

async function executeLeased(deps: EngineDeps, runId: string, seen: { plan?: Plan }): Promise<RunRecord> {
  const run = await deps.store.runs.get(runId);
  if (!run) throw new NhiError('not-found', `no run ${runId}`);
  const row = await deps.store.requests.get(run.requestId);
  if (!row) throw new NhiError('not-found', `run ${runId} names missing request ${run.requestId}`);
  // Execute what owners signed: the stored plan, its digest recomputed (not the row's columns).
  const request = await trustedOrRefused(deps, row, {
    type: 'run.refused',
    actor: run.executor,
    data: { runId, executor: run.executor },
  });
  const plan = request.signedPlan;
  seen.plan = plan;
  // The config may have changed since approval: a hook or notify target it no longer defines stops here, before any provider call.
  checkRunbookReferences([{ id: plan.runbook.id, steps: plan.steps }], deps.config);
  const ref = parseRef(plan.ref);
  const provider = await deps.provider(ref.instance);
  const facts: RunFacts = run.facts;
  const records = new Map((await deps.store.runs.steps(runId)).map((s) => [s.stepId, s]));
  const completing = completingStepIndex(plan.steps);
  const logger = deps.logger.child({ runId, ref: plan.ref });
  const faults = deps.faults ?? NO_FAULTS;

  for (const [index, step] of plan.steps.entries()) {
    const existing = records.get(step.id);
    if (existing?.status === 'done') continue;
    const key = `${runId}:${step.id}`;
    const base: StepRecord = existing ?? {
      runId,
      stepId: step.id,
      index,
      type: step.type,
      status: 'pending',
      attempts: 0,
      idempotencyKey: key,
      updatedAt: deps.now().toISOString(),
    };
    const def = STEP_DEFINITIONS[step.type];
    // Right before the first side effect of the run (not on a resume past it): re-plan live.
    if (def.sideEffect && !sideEffectStarted(plan, records))
      await refuseOnDrift(deps, run, request, step, index);

    let resumed = existing?.status === 'intent' || existing?.status === 'failed';
    if (def.sideEffect) {
      faults.crashAt(`${step.id}:before-intent`);
      const intentRecord: StepRecord = {
        ...base,
        status: 'intent',
        attempts: base.attempts + 1,
        intent: intentOf(step, plan),
        updatedAt: deps.now().toISOString(),
      };
      await deps.store.transaction(async (tx) => {
        // Fencing: a process that lost the run lease (another took over) commits no intent and stops.
        await renewRunLease(tx, deps.leaseHolder, runId, deps.now(), deps.leaseTtlMs);
        await tx.runs.upsertStep(intentRecord);
        await deps.audit.record(tx.audit, {
          type: 'step.intent',
          actor: run.executor,
          subject: runId,
          data: { stepId: step.id, type: step.type, idempotencyKey: key, resumed, ...intentOf(step, plan) },
        });
      });
      records.set(step.id, intentRecord);
      faults.crashAt(`${step.id}:after-intent`);
    }

    // Every secret the step sends is registered here by its adapter: no error text carries one.
    const inFlight = new InFlightSecrets();
    const rt: StepRuntime = {
      run,
      request,
      plan,
      step,
      params: step.params,
      ref,
      provider,
      ctx: {
        runId,
        stepId: step.id,
        idempotencyKey: key,
        fingerprint: deps.fingerprint,
        logger,
        params: step.params,
        generator: plan.create.generator,
        ...(plan.create.fields ? { fields: plan.create.fields } : {}),
        inFlight,
      },
      facts,
      resumed,
      config: deps.config,
      notifier: deps.notifier,
      logger,
      now: deps.now,
    };
    let outcome: Record<string, unknown>;
    try {
      outcome = await withRetry(
        async (attempt) => {
          // After a failed attempt the call may still have taken effect: treat it as resumed.
          rt.resumed = resumed || attempt > 1;
          const result = await def.execute(rt);
          if (def.sideEffect && faults.loseResponse(step.id)) {
            throw new ProviderError(`simulated lost response for ${step.id}`, { retryable: true });
          }
          return result;
        },
        {
          policy: deps.retry ?? STEP_RETRY,
          ...(deps.sleep ? { sleep: deps.sleep } : {}),
          onRetry: ({ attempt, delayMs, error }) =>
            logger.warn(
              {
                step: step.id,
                attempt,
                delayMs,
                error: scrubText((error as Error).message, inFlight.values()),
              },
              'step failed; retrying',
            ),
        },
      );
    } catch (error) {
      return await failStep(deps, run, plan, base, scrubError(error, inFlight.values()));
    }
    resumed = false;
    faults.crashAt(`${step.id}:after-call`);

    if (step.type === 'verify' && facts.verified && !facts.verified.ok) {
      return await failVerify(deps, run, plan, base, outcome);
    }
    await deps.store.transaction(async (tx) => {
      await tx.runs.upsertStep({
        ...base,
        status: 'done',
        attempts: base.attempts + (def.sideEffect ? 1 : 0),
        outcome,
        updatedAt: deps.now().toISOString(),
      });
      await tx.runs.update(runId, { facts });
      await deps.audit.record(tx.audit, {
        type: 'step.done',
        actor: run.executor,
        subject: runId,
        data: { stepId: step.id, type: step.type, outcome },
      });
      if (index === completing) {
        const lineage = lineageFor(run, request, plan, facts, deps.now());
        await tx.lineage.insert(lineage);
        await deps.audit.record(tx.audit, {
          type: 'lineage.recorded',
          actor: run.executor,
          subject: plan.ref,
          data: { ...lineage },
        });
      }
    });
    faults.crashAt(`${step.id}:after-outcome`);
  }

  return await deps.store.transaction(async (tx) => {
    const finishedAt = deps.now().toISOString();
    await tx.runs.update(runId, { status: 'completed', finishedAt, facts });
    await tx.requests.update(request.id, { status: 'completed', updatedAt: finishedAt });
    await releaseIdentityAtEnd(tx, plan.ref, runId, 'completed');
    await deps.audit.record(tx.audit, {
      type: 'run.completed',
      actor: run.executor,
      subject: runId,
      data: { ref: plan.ref, newVersion: facts.issued?.versionId ?? null },
    });
    await deps.audit.checkpoint(tx.audit);
    return (await tx.runs.get(runId)) as RunRecord;
  });
}

function intentOf(step: PlannedStep, plan: Plan): Record<string, unknown> {
  if (step.type === 'revoke')
    return { versions: plan.revoke.versions.map((v) => v.versionId), mode: plan.revoke.mode };
  if (step.type === 'reissue') return { generator: plan.create.generator.type };
  if (step.type === 'make-room') return { remove: plan.limits.flatMap((l) => l.makeRoom ?? []) };
  return {};
}

/** Right before the first side effect: the live target must still plan to the approved digest. */
function sideEffectStarted(plan: Plan, records: Map<string, StepRecord>): boolean {
  return plan.steps.some((s) => s.sideEffect && (records.get(s.id)?.status ?? 'pending') !== 'pending');
}

async function refuseOnDrift(
  deps: EngineDeps,
  run: RunRecord,
  request: TrustedRequest,
  step: PlannedStep,
  index: number,
): Promise<void> {
  const approvedDigest = request.planDigest;
  // Target and runbook from the signed plan: a row re-pointed at another identity cannot steer this.
  const fresh = await planTarget(deps, request.signedPlan.ref, request.signedPlan.runbook.id);
  if (fresh.digest === approvedDigest) return;
  const message =
    `the live state of ${request.ref} changed since the plan was approved (approved ${approvedDigest}, now ${fresh.digest}); ` +
    'nothing was changed — file a new request';
  await deps.store.transaction(async (tx) => {
    const at = deps.now().toISOString();
    await tx.runs.upsertStep({
      runId: run.id,
      stepId: step.id,
      index,
      type: step.type,
      status: 'failed',
      attempts: 0,
      idempotencyKey: `${run.id}:${step.id}`,
      outcome: { rule: 'digest-drift', liveDigest: fresh.digest },
      updatedAt: at,
    });
    await tx.runs.update(run.id, { status: 'refused', finishedAt: at, error: message });
    await releaseIdentityAtEnd(tx, request.signedPlan.ref, run.id, 'refused');
    await tx.requests.update(request.id, { status: 'failed', updatedAt: at });
    await deps.audit.record(tx.audit, {
      type: 'run.refused',
      actor: run.executor,
      subject: run.id,
      data: { rule: 'digest-drift', approvedDigest, liveDigest: fresh.digest },
    });
  });
  throw new PolicyError('digest-drift', message);
}
