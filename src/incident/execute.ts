/**
 * `nhi incident run` / `nhi incident resume`: execute every target whose approval is complete,
 * in one process, concurrently. Each target is an ordinary run (startRun / resumeRun): the
 * same gate, run lease, identity lock, persisted steps and lineage, so a SIGKILL anywhere
 * leaves each target resumable exactly once. Pacing is the providers' own: every target of one
 * provider instance goes through that instance's write limiter (one per instance, built once
 * by the composition root), so the run moves at the write quota without throttling.
 * One target's failure never stops the others; it is reported in the needs-attention list.
 */
import type { ActorCredential } from '../approval/decisions/actor.js';
import { authorizeStoredRun } from '../approval/decisions/run-gate.js';
import { ownerRegistryFromConfig } from '../approval/owners/owner-registry.js';
import { mapConcurrent } from '../lib/concurrency.js';
import { NhiError, NotFoundError, PolicyError } from '../lib/errors.js';
import type { EngineDeps } from '../runbook/engine.js';
import { resumeRun, startRun } from '../runbook/runs.js';
import type { RunRecord } from '../store/types.js';
import { trustedIncident } from './document.js';

export const DEFAULT_INCIDENT_CONCURRENCY = 32;

/** Policy rules that mean "not yet": the target waits for its owners (or its hold) and is tried again. */
const WAITING_RULES = new Set(['not-approved', 'quorum', 'hold']);

export type TargetOutcome =
  | 'completed'
  | 'already-completed'
  | 'failed'
  | 'needs-attention'
  | 'interrupted'
  | 'waiting'
  | 'refused'
  | 'excluded';

export interface TargetResult {
  ref: string;
  requestId: string;
  outcome: TargetOutcome;
  runId?: string;
  /** Why it waits, was refused or failed; what to do next. */
  detail?: string;
}

export interface IncidentProgress {
  total: number;
  done: number;
  failed: number;
  waiting: number;
  inFlight: number;
  elapsedMs: number;
}

export interface IncidentRunInput {
  incidentId: string;
  executor: string;
  actor?: ActorCredential;
  /** Break glass for every target not yet approved (break-glass group; reason mandatory). */
  breakGlass?: { reason?: string };
  /** Resume interrupted runs too (`nhi incident resume`); `run` reports them instead. */
  resume: boolean;
  concurrency?: number;
  onProgress?: (p: IncidentProgress) => void;
}

export async function runIncident(deps: EngineDeps, input: IncidentRunInput): Promise<TargetResult[]> {
  const row = await deps.store.incidents.get(input.incidentId);
  if (!row) throw new NotFoundError(`no incident ${input.incidentId} (see nhi incident status)`);
  const incident = trustedIncident(row);
  const excluded = new Set(incident.exclusions.map((e) => e.ref));
  const registry = ownerRegistryFromConfig(deps.config);
  const started = Date.now();
  const progress = { total: incident.requests.length, done: 0, failed: 0, waiting: 0, inFlight: 0 };
  const report = () => input.onProgress?.({ ...progress, elapsedMs: Date.now() - started });

  const runOne = async ({ ref, requestId }: { ref: string; requestId: string }): Promise<TargetResult> => {
    if (excluded.has(ref)) return { ref, requestId, outcome: 'excluded' };
    const active = (await deps.store.runs.forRequest(requestId)).find((r) => r.status !== 'refused');
    if (active?.status === 'completed')
      return { ref, requestId, outcome: 'already-completed', runId: active.id };
    progress.inFlight++;
    report();
    try {
      if (active) {
        if (!input.resume)
          return {
            ref,
            requestId,
            outcome: 'interrupted',
            runId: active.id,
            detail: `run ${active.id} is ${active.status}: nhi incident resume ${incident.id}`,
          };
        return outcomeOf(ref, requestId, await resumeRun(deps, active.id, input.executor, input.actor));
      }
      if (!input.breakGlass) {
        // Not yet approved (or on hold) is a wait, not a refusal: checked without an audit entry,
        // so re-running the incident while owners decide does not fill the log. startRun gates again.
        try {
          await authorizeStoredRun(
            deps.store,
            { config: deps.config, registry },
            {
              requestId,
              executor: input.executor,
              now: deps.now(),
            },
          );
        } catch (error) {
          if (error instanceof PolicyError && WAITING_RULES.has(error.rule))
            return { ref, requestId, outcome: 'waiting', detail: error.message };
          throw error;
        }
      }
      const run = await startRun(deps, {
        requestId,
        executor: input.executor,
        ...(input.actor ? { actor: input.actor } : {}),
        ...(input.breakGlass ? { breakGlass: input.breakGlass } : {}),
      });
      return outcomeOf(ref, requestId, run);
    } catch (error) {
      // One target's problem is its own: report it and go on with the others.
      if (error instanceof PolicyError) return { ref, requestId, outcome: 'refused', detail: error.message };
      const message =
        error instanceof NhiError ? error.message : `unexpected error: ${(error as Error).message}`;
      return { ref, requestId, outcome: 'failed', detail: message };
    } finally {
      progress.inFlight--;
    }
  };

  const results: TargetResult[] = [];
  for await (const result of mapConcurrent(
    incident.requests,
    input.concurrency ?? DEFAULT_INCIDENT_CONCURRENCY,
    runOne,
  )) {
    results.push(result);
    if (result.outcome === 'completed' || result.outcome === 'already-completed') progress.done++;
    else if (result.outcome === 'waiting') progress.waiting++;
    else if (result.outcome !== 'excluded') progress.failed++;
    report();
  }
  const order = new Map(incident.requests.map((r, i) => [r.requestId, i]));
  return results.sort((a, b) => (order.get(a.requestId) ?? 0) - (order.get(b.requestId) ?? 0));
}

function outcomeOf(ref: string, requestId: string, run: RunRecord): TargetResult {
  if (run.status === 'completed') return { ref, requestId, outcome: 'completed', runId: run.id };
  return {
    ref,
    requestId,
    outcome: run.status === 'needs-attention' ? 'needs-attention' : 'failed',
    runId: run.id,
    detail: `${run.error ?? run.status}: nhi status ${run.id}, then nhi incident resume`,
  };
}
