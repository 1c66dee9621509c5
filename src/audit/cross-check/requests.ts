/**
 * Request rows against their `request.created` entry (runbook/requests.ts) and the entries
 * that moved them on. Immutable fields must be what was filed, and the stored plan must still
 * hash to the filed digest. Mutable fields are replayed from the log the way their writers
 * change them (each in the transaction of its entry):
 *   status          approval.recorded / review.recorded (data.requestStatus), a `request-expired`
 *                   refusal (pending|approved -> expired, refusal.ts), run start/resume (running),
 *                   run.completed / run.failed / run.needs-attention, run.refused of a run (failed);
 *   reviewRequired  run.break-glass (true), review.recorded (data.reviewRequired);
 *   review          the latest review.recorded.
 * When an entry does not say (an old entry without requestStatus), the status is not judged
 * until an entry fixes it again: no false alarm on a history this cannot replay. `createdAt`
 * and `updatedAt` are not compared: entries carry the audit clock, not the engine's.
 */
import { canonicalDigest } from '../../lib/canonical.js';
import type { AuditEntry, RecoveryRequest, RequestStatus, RetrospectiveReview } from '../../store/types.js';
import {
  ClaimIndex,
  type ClaimShape,
  differ,
  entryName,
  type IndexedClaim,
  indexClaim,
  reportDifferences,
  reportLeftovers,
  shown,
} from './claims.js';
import type { CheckContext, RowKind } from './types.js';

type Row = RecoveryRequest;

/** The plan's revoke list as request.created records it (version ids). */
function revokeList(plan: unknown): unknown {
  const versions = (plan as { revoke?: { versions?: unknown } } | null)?.revoke?.versions;
  return Array.isArray(versions) ? versions.map((v) => (v as { versionId?: unknown })?.versionId) : undefined;
}

const createdShape: ClaimShape<Row> = {
  ofRow: (r) => ({
    ref: r.ref,
    runbookId: r.runbookId,
    planDigest: r.planDigest,
    tier: r.tier,
    owners: r.owners,
    reason: r.reason,
    expiresAt: r.expiresAt,
    requester: r.requester,
    requesterProof: r.requesterProof,
    'plan.revoke': revokeList(r.plan),
  }),
  ofEntry: (e) => ({
    ref: e.data.ref,
    runbookId: e.data.runbook,
    planDigest: e.data.planDigest,
    tier: e.data.tier,
    owners: e.data.owners,
    reason: e.data.reason,
    expiresAt: e.data.expiresAt,
    requester: e.actor,
    requesterProof: e.data.actorProof,
    'plan.revoke': e.data.revoke,
  }),
  tolerant: new Set([
    'ref',
    'runbookId',
    'planDigest',
    'tier',
    'owners',
    'reason',
    'expiresAt',
    'plan.revoke',
  ]),
};

/** The review a request row keeps, minus `at` (engine clock). */
const reviewShape: ClaimShape<RetrospectiveReview> = {
  ofRow: (r) => ({
    outcome: r.outcome,
    principal: r.principal,
    approvalId: r.approvalId,
    runId: r.runId,
    executor: r.executor,
    comment: r.comment,
  }),
  ofEntry: (e) => ({
    outcome: e.data.outcome,
    principal: e.data.principal,
    approvalId: e.data.approvalId,
    runId: e.data.runId,
    executor: e.data.executor,
    comment: e.data.comment,
  }),
};

/** A value the log fixes, and the entry that fixed it last; null: the log does not say. */
type Derived<T> = { value: T; seq: number; type: string } | null;

interface RequestTrail {
  seq: number;
  type: string;
  created: IndexedClaim;
  status: Derived<RequestStatus>;
  reviewRequired: Derived<boolean>;
  review?: IndexedClaim;
}

const STATUSES: ReadonlySet<string> = new Set<RequestStatus>([
  'pending',
  'approved',
  'denied',
  'expired',
  'running',
  'completed',
  'failed',
  'needs-attention',
  'withdrawn',
]);
const RUN_END: Readonly<Record<string, RequestStatus>> = {
  'run.completed': 'completed',
  'run.failed': 'failed',
  'run.needs-attention': 'needs-attention',
  'run.refused': 'failed',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const fixed = <T>(value: T, e: AuditEntry): Derived<T> => ({ value, seq: e.seq, type: e.type });

export function requestKind(runs: { requestOf(runId: string): string | undefined }): RowKind {
  const index = new ClaimIndex<RequestTrail>();

  /** Replays one entry onto the trail of the request it moves, if any. */
  function replay(e: AuditEntry): void {
    const t = e.type;
    if (t === 'approval.recorded' || t === 'review.recorded') {
      const trail = index.get(e.subject);
      if (!trail) return;
      const status = str(e.data.requestStatus);
      trail.status = status && STATUSES.has(status) ? fixed(status as RequestStatus, e) : null;
      if (t === 'review.recorded') {
        const flag = e.data.reviewRequired;
        trail.reviewRequired = typeof flag === 'boolean' ? fixed(flag, e) : null;
        trail.review = indexClaim(reviewShape, e);
      }
    } else if (t.endsWith('.refused') && e.data.rule === 'request-expired') {
      const trail = index.get(str(e.data.requestId) ?? '');
      const now = trail?.status?.value;
      if (trail && (now === 'pending' || now === 'approved')) trail.status = fixed('expired', e);
    } else if (t === 'request.withdrawn') {
      const trail = index.get(e.subject);
      if (trail) trail.status = fixed('withdrawn', e);
    } else if (t === 'run.started' || t === 'run.break-glass' || t === 'run.resumed') {
      const trail = index.get(str(e.data.requestId) ?? runs.requestOf(e.subject) ?? '');
      if (!trail) return;
      trail.status = fixed('running', e);
      if (t === 'run.break-glass') trail.reviewRequired = fixed(true, e);
    } else if (RUN_END[t]) {
      // Terminal entries name the run; a refusal naming the request (the gate's) changes nothing.
      const trail = index.get(runs.requestOf(e.subject) ?? '');
      if (trail) trail.status = fixed(RUN_END[t] as RequestStatus, e);
    }
  }

  return {
    kind: 'request',
    index(e) {
      if (e.type !== 'request.created') return replay(e);
      const created = indexClaim(createdShape, e);
      index.add(e.subject, {
        seq: e.seq,
        type: e.type,
        created,
        status: fixed('pending', e),
        reviewRequired: fixed(false, e),
      });
    },
    async checkRows(ctx) {
      let rows = 0;
      for await (const row of ctx.store.requests.all()) {
        rows++;
        const trail = index.take(row.id);
        if (!trail) {
          ctx.report({ kind: 'request', id: row.id, problem: 'no request.created entry records it' });
          continue;
        }
        await checkRequest(ctx, row, trail);
      }
      return rows;
    },
    reportMissing(ctx) {
      reportLeftovers(ctx, 'request', index);
    },
  };
}

async function checkRequest(ctx: CheckContext, row: Row, trail: RequestTrail): Promise<void> {
  const report = (problem: string, seq?: number) =>
    ctx.report({ kind: 'request', id: row.id, problem, ...(seq !== undefined ? { seq } : {}) });
  await reportDifferences(ctx, 'request', row.id, createdShape, row, trail.created);
  checkPlan(row, report);

  const { status, reviewRequired } = trail;
  if (status && row.status !== status.value) {
    report(
      `status is ${shown(row.status, STATUSES)} but its audit entries say ${status.value} (last: ${entryName(status)})`,
      status.seq,
    );
  }
  if (reviewRequired && row.reviewRequired !== reviewRequired.value) {
    report(
      `reviewRequired is ${row.reviewRequired === true} but its audit entries say ${reviewRequired.value} (last: ${entryName(reviewRequired)})`,
      reviewRequired.seq,
    );
  }
  if (row.review && !trail.review) report('review has no review.recorded entry');
  else if (!row.review && trail.review) {
    report(`review is missing but ${entryName(trail.review)} records one`, trail.review.seq);
  } else if (row.review && trail.review) {
    await reportDifferences(ctx, 'request', row.id, reviewShape, row.review, trail.review, 'review ');
  }
}

/**
 * The stored plan is what owners signed: it must hash to the row's digest (which the entry
 * check ties to the filed one), and the row's target, runbook, tier and owners must be the plan's.
 */
function checkPlan(row: Row, report: (problem: string) => void): void {
  let digest: string | undefined;
  try {
    digest = canonicalDigest(row.plan);
  } catch {
    digest = undefined;
  }
  if (digest !== row.planDigest) {
    report('stored plan does not hash to its planDigest (plan edited after filing)');
    return;
  }
  const plan = row.plan as {
    kind?: unknown;
    ref?: unknown;
    runbook?: { id?: unknown };
    policy?: { tier?: unknown };
    target?: { owners?: unknown };
  };
  if (plan?.kind !== 'nhi-recovery-plan') return; // not an engine plan: nothing more to read from it
  const owners = Array.isArray(row.owners) ? [...row.owners].sort() : row.owners;
  const fields: string[] = [];
  if (plan.ref !== row.ref) fields.push('ref');
  if (plan.runbook?.id !== row.runbookId) fields.push('runbookId');
  if (plan.policy?.tier !== row.tier) fields.push('tier');
  if (JSON.stringify(plan.target?.owners) !== JSON.stringify(owners)) fields.push('owners');
  if (fields.length) report(`${differ(fields)} from its stored plan`);
}
