/**
 * Run rows against the entries runs.ts, executor.ts and failure.ts write for them (subject =
 * run id): the start (`run.started` / `run.break-glass`: request, executor, approvals counted,
 * break-glass reason, the executor's signature), every `run.resumed`, and the terminal entries
 * (`run.completed`, `run.failed`, `run.needs-attention`, `run.refused` on drift) that fix the
 * row's status. Not compared: timestamps (the audit clock is not the engine's), `error` (free
 * text) and the evidence in `facts` beyond what the start recorded.
 */
import type { AuditEntry, RunRecord, RunResume, RunStatus } from '../../store/types.js';
import {
  ClaimIndex,
  type ClaimShape,
  entryName,
  entryRef,
  type IndexedClaim,
  indexClaim,
  reportDifferences,
  reportLeftovers,
  shown,
} from './claims.js';
import type { CheckContext, RowKind } from './types.js';

const START_TYPES = new Set(['run.started', 'run.break-glass']);
/** Entries after which the run has this status (the writer updates the row in the same transaction). */
const STATUS_AFTER: Readonly<Record<string, RunStatus>> = {
  'run.started': 'running',
  'run.break-glass': 'running',
  'run.resumed': 'running',
  'run.completed': 'completed',
  'run.failed': 'failed',
  'run.needs-attention': 'needs-attention',
  // Only when the subject is a run (digest drift, executor.ts); the gate's refusals name the request.
  'run.refused': 'refused',
};

const startShape: ClaimShape<RunRecord> = {
  ofRow: (r) => ({
    requestId: r.requestId,
    executor: r.executor,
    breakGlass: r.breakGlass,
    breakGlassReason: r.breakGlassReason,
    mode: r.facts?.mode,
    approvers: r.facts?.approvers,
    approvalIds: r.facts?.approvalIds,
    executorProof: r.executorProof,
  }),
  ofEntry: (e) => ({
    requestId: e.data.requestId,
    executor: e.actor,
    breakGlass: e.type === 'run.break-glass',
    breakGlassReason: e.data.reason,
    mode: e.type === 'run.break-glass' ? 'break-glass' : 'approved',
    approvers: e.data.approvers,
    approvalIds: e.data.approvalIds,
    executorProof: e.data.actorProof,
  }),
  tolerant: new Set(['requestId', 'approvers', 'approvalIds']),
};

const STATUSES: ReadonlySet<string> = new Set(Object.values(STATUS_AFTER));

const resumeShape: ClaimShape<RunResume> = {
  ofRow: (r) => ({ actor: r.actor, proof: r.proof }),
  ofEntry: (e) => ({ actor: e.actor, proof: e.data.actorProof }),
};

interface Derived<T> {
  value: T;
  seq: number;
  type: string;
}

/** What the log says about one run. `seq`/`type` name its first entry. */
interface RunTrail {
  seq: number;
  type: string;
  start?: IndexedClaim;
  requestId?: string;
  planDigest?: string;
  resumes: IndexedClaim[];
  status?: Derived<RunStatus>;
}

export interface RunKind extends RowKind {
  /** The request a run was started for, from its start entry (terminal entries name only the run). */
  requestOf(runId: string): string | undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function runKind(): RunKind {
  const index = new ClaimIndex<RunTrail>();

  function trailFor(entry: AuditEntry): RunTrail {
    const found = index.get(entry.subject);
    if (found) return found;
    const trail: RunTrail = { seq: entry.seq, type: entry.type, resumes: [] };
    index.add(entry.subject, trail);
    return trail;
  }

  return {
    kind: 'run',
    requestOf: (runId) => index.get(runId)?.requestId,
    index(entry) {
      const status = STATUS_AFTER[entry.type];
      if (!status) return;
      if (START_TYPES.has(entry.type)) {
        const trail = trailFor(entry);
        if (trail.start) {
          index.duplicates.push({
            id: entry.subject,
            first: trail,
            again: { seq: entry.seq, type: entry.type, resumes: [] },
          });
          return;
        }
        trail.start = indexClaim(startShape, entry);
        trail.requestId = str(entry.data.requestId);
        trail.planDigest = str(entry.data.planDigest);
      } else if (entry.type === 'run.resumed') {
        // Entries from before resumes were kept on the row (no requestId recorded) are not in `resumes`.
        if (entry.data.requestId !== undefined) trailFor(entry).resumes.push(indexClaim(resumeShape, entry));
        else trailFor(entry);
      } else if (!index.get(entry.subject)) {
        return; // not about a run we know of (e.g. a refusal whose subject is the request)
      }
      const trail = index.get(entry.subject) as RunTrail;
      trail.status = { value: status, seq: entry.seq, type: entry.type };
    },
    async checkRows(ctx: CheckContext) {
      let rows = 0;
      for await (const run of ctx.store.runs.all()) {
        rows++;
        const trail = index.take(run.id);
        if (!trail?.start) {
          ctx.report({
            kind: 'run',
            id: run.id,
            problem: 'no run.started or run.break-glass entry records it',
          });
          continue;
        }
        await checkRun(ctx, run, trail, trail.start);
      }
      return rows;
    },
    reportMissing(ctx) {
      reportLeftovers(ctx, 'run', index);
    },
  };
}

async function checkRun(ctx: CheckContext, run: RunRecord, trail: RunTrail, start: IndexedClaim) {
  const report = (problem: string, seq?: number) =>
    ctx.report({ kind: 'run', id: run.id, problem, ...(seq !== undefined ? { seq } : {}) });
  await reportDifferences(ctx, 'run', run.id, startShape, run, start);

  // The row holds no digest: the one it ran under is its request's, which must be the one recorded.
  if (trail.planDigest !== undefined) {
    const request = await ctx.store.requests.get(run.requestId);
    if (!request) report(`names request ${run.requestId}, which has no row`);
    else if (request.planDigest !== trail.planDigest) {
      report(`planDigest of its request differs from ${entryRef(start)}`, start.seq);
    }
  }

  const resumes = Array.isArray(run.resumes) ? run.resumes : [];
  if (resumes.length !== trail.resumes.length) {
    report(
      `resumes: the row lists ${resumes.length}, the log has ${trail.resumes.length} run.resumed entr(y/ies)`,
    );
  }
  for (const [i, recorded] of trail.resumes.entries()) {
    const resume = resumes[i];
    if (resume)
      await reportDifferences(ctx, 'run', run.id, resumeShape, resume, recorded, `resume ${i + 1} `);
  }

  if (trail.status && run.status !== trail.status.value) {
    report(
      `status is ${shown(run.status, STATUSES)} but its audit entries say ${trail.status.value} (${entryName(trail.status)})`,
      trail.status.seq,
    );
  }
}
