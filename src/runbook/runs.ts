import { randomUUID } from 'node:crypto';
import { notifyBreakGlass } from '../approval/break-glass-notices.js';
import {
  type ActorCredential,
  actorProofData,
  authenticateActorAudited,
} from '../approval/decisions/actor.js';
import { recordRefusal } from '../approval/decisions/refusal.js';
import { authorizeStoredRun, gateRun } from '../approval/decisions/run-gate.js';
import { ownerRegistryFromConfig } from '../approval/owners/owner-registry.js';
import { NotFoundError, PolicyError } from '../lib/errors.js';
import { policyDigestField, requireSignedPolicy } from '../policy/gate.js';
import type { RunRecord } from '../store/types.js';
import type { EngineDeps } from './engine.js';
import { executeRun } from './executor.js';
import type { RunFacts } from './facts.js';
import { claimIdentity, liveRunLease, releaseRunLease, takeRunLease } from './leases.js';
import { trustedOrRefused } from './trusted-request.js';

export interface StartRun {
  requestId: string;
  executor: string;
  breakGlass?: { reason?: string };
  /** The executor's signature (`--key`): required when policy.requireSignedActors is set. */
  actor?: ActorCredential;
}

/**
 * `nhi run`: authorize (owner approvals, quorum, hold, separation of duties, or
 * break-glass), record the refusal or the start in the audit log, then execute.
 */
export async function startRun(deps: EngineDeps, input: StartRun): Promise<RunRecord> {
  // Run (or break glass) under a signed policy only (src/policy/gate.ts).
  deps = { ...deps, policyDigest: await requireSignedPolicy(deps) };
  const row = await deps.store.requests.get(input.requestId);
  if (!row) throw new NotFoundError(`no request ${input.requestId} (see nhi status)`);
  const request = await trustedOrRefused(deps, row, {
    type: 'run.refused',
    actor: input.executor,
    data: { executor: input.executor, breakGlass: input.breakGlass !== undefined },
  });
  const active = (await deps.store.runs.forRequest(request.id)).find((r) => r.status !== 'refused');
  if (active) {
    const executing = await liveRunLease(deps.store, deps.leaseHolder, active.id, deps.now());
    throw new PolicyError(
      'already-run',
      executing
        ? `request ${request.id} already has run ${active.id}, being executed by ${executing.holder} (lease until ${executing.expiresAt}); let it finish (nhi status ${active.id})`
        : active.status === 'completed'
          ? `request ${request.id} already ran: run ${active.id} completed`
          : `request ${request.id} already has run ${active.id} (${active.status}); use nhi resume ${active.id} to continue it`,
    );
  }
  const registry = ownerRegistryFromConfig(deps.config);
  // Who runs it is proven before it is authorized: separation of duties rests on the name.
  const executorProof = await authenticateActorAudited(
    { ...deps, registry },
    {
      action: 'run',
      principal: input.executor,
      ref: request.ref,
      requestId: request.id,
      planDigest: request.planDigest,
      ...(input.breakGlass ? { breakGlass: true as const } : {}),
    },
    input.actor,
    deps.now(),
    { type: 'run.refused', data: { executor: input.executor, breakGlass: input.breakGlass !== undefined } },
  );
  const gateInput = {
    requestId: request.id,
    executor: input.executor,
    now: deps.now(),
    ...(input.breakGlass ? { breakGlass: input.breakGlass } : {}),
  };
  // Refusals are audited by the gate; the check is repeated inside the transaction that
  // starts the run, so a deny recorded in between cannot be missed.
  const { authorization: auth } = await gateRun({ ...deps, registry }, gateInput);
  const now = deps.now().toISOString();
  const facts: RunFacts = { mode: auth.mode, approvers: auth.approvers, approvalIds: auth.approvalIds };
  const run: RunRecord = {
    id: `run_${randomUUID()}`,
    requestId: request.id,
    executor: input.executor,
    status: 'running',
    breakGlass: auth.mode === 'break-glass',
    ...(auth.breakGlassReason ? { breakGlassReason: auth.breakGlassReason } : {}),
    startedAt: now,
    facts,
    ...(executorProof ? { executorProof } : {}),
  };
  await auditedRefusal(deps, { type: 'run.refused', actor: input.executor, requestId: request.id }, () =>
    deps.store.transaction(async (tx) => {
      await authorizeStoredRun(tx, { config: deps.config, registry }, gateInput);
      await tx.runs.insert(run);
      // One run per identity: held from here (before the drift check) until the run ends.
      await claimIdentity(tx, deps.leaseHolder, request.signedPlan.ref, run.id, deps.now());
      await takeRunLease(tx, deps.leaseHolder, run.id, deps.now(), deps.leaseTtlMs);
      await tx.requests.update(request.id, {
        status: 'running',
        updatedAt: now,
        ...(auth.mode === 'break-glass' ? { reviewRequired: true } : {}),
      });
      await deps.audit.record(tx.audit, {
        type: auth.mode === 'break-glass' ? 'run.break-glass' : 'run.started',
        actor: input.executor,
        subject: run.id,
        data: {
          requestId: request.id,
          ref: request.ref,
          planDigest: request.planDigest,
          approvers: auth.approvers,
          approvalIds: auth.approvalIds,
          ...(auth.breakGlassReason ? { reason: auth.breakGlassReason } : {}),
          ignoredDecisions: auth.ignored.map((i) => ({ principal: i.principal, rule: i.rule })),
          ...actorProofData(executorProof),
          ...policyDigestField(deps),
        },
      });
    }),
  );
  if (auth.mode === 'break-glass')
    await notifyBreakGlass(deps.notifier, deps.config, {
      request,
      executor: input.executor,
      reason: auth.breakGlassReason ?? '',
      runId: run.id,
    });
  return executeRun(deps, run.id);
}

/** `nhi resume`: continue an interrupted or failed run from its step records. */
export async function resumeRun(
  deps: EngineDeps,
  runId: string,
  actor: string,
  credential?: ActorCredential,
): Promise<RunRecord> {
  const run = await deps.store.runs.get(runId);
  if (!run) throw new NotFoundError(`no run ${runId} (see nhi status)`);
  if (run.status === 'completed') return run;
  if (run.status === 'refused')
    throw new PolicyError('refused', `run ${runId} was refused and cannot be resumed; file a new request`);
  const row = await deps.store.requests.get(run.requestId);
  if (!row) throw new NotFoundError(`run ${runId} names missing request ${run.requestId}`);
  const request = await trustedOrRefused(deps, row, { type: 'resume.refused', actor, data: { runId } });
  deps = { ...deps, policyDigest: await requireSignedPolicy(deps) };
  const now = deps.now();
  const proof = await authenticateActorAudited(
    { ...deps, registry: ownerRegistryFromConfig(deps.config) },
    {
      action: 'resume',
      principal: actor,
      ref: request.ref,
      requestId: request.id,
      runId,
      planDigest: request.planDigest,
    },
    credential,
    now,
    { type: 'resume.refused', data: { runId } },
  );
  const resumed = await auditedRefusal(
    deps,
    { type: 'resume.refused', actor, requestId: request.id, data: { runId } },
    () =>
      deps.store.transaction(async (tx) => {
        const current = (await tx.runs.get(runId)) ?? run;
        // Decided under the lease, not from the read above: the run may have finished meanwhile.
        await takeRunLease(tx, deps.leaseHolder, runId, now, deps.leaseTtlMs);
        if (current.status === 'completed') {
          await releaseRunLease(tx, deps.leaseHolder, runId);
          return false;
        }
        if (current.status === 'refused')
          throw new PolicyError(
            'refused',
            `run ${runId} was refused and cannot be resumed; file a new request`,
          );
        await claimIdentity(tx, deps.leaseHolder, request.signedPlan.ref, runId, now);
        const resume = { actor, at: now.toISOString(), ...(proof ? { proof } : {}) };
        await tx.runs.update(runId, { status: 'running', resumes: [...(current.resumes ?? []), resume] });
        await tx.requests.update(run.requestId, { status: 'running', updatedAt: now.toISOString() });
        await deps.audit.record(tx.audit, {
          type: 'run.resumed',
          actor,
          subject: runId,
          data: {
            previousStatus: current.status,
            requestId: request.id,
            ref: request.ref,
            planDigest: request.planDigest,
            ...actorProofData(proof),
            ...policyDigestField(deps),
          },
        });
        return true;
      }),
  );
  if (!resumed) return (await deps.store.runs.get(runId)) as RunRecord;
  return executeRun(deps, runId);
}

/**
 * Run `fn`; a PolicyError it throws (identity busy, run in progress, a deny recorded meanwhile)
 * is recorded as `event.type` in its own transaction before it propagates.
 */
async function auditedRefusal<T>(
  deps: EngineDeps,
  event: { type: string; actor: string; requestId: string; data?: Record<string, unknown> },
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof PolicyError && !error.context.audited) {
      await recordRefusal(deps, error, event, deps.now());
    }
    throw error;
  }
}
