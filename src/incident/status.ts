/**
 * What `nhi incident status` and the incident report show: every target with its state,
 * approvers and quorum, before/after versions, lineage, derived credentials cut off, and what
 * still needs attention. Read from the store, but believed only through the same checks the
 * engine uses: the incident document by its digest, each request by its plan digest, each
 * approval by its signature (evaluateApprovals), so an edited row cannot make a target look
 * approved or recovered. Targets are read one at a time: memory grows with the report only.
 */
import { evaluateApprovals } from '../approval/decisions/quorum.js';
import { trustedRequest } from '../approval/decisions/signed-request.js';
import type { OwnerRegistry } from '../approval/owners/owner-registry.js';
import type { ParsedConfig } from '../config/schema.js';
import { NotFoundError } from '../lib/errors.js';
import type { DerivedRevocation } from '../provider.js';
import type { IncidentExclusion, UnrecoverableTarget } from '../store/incident-types.js';
import type { Store } from '../store/store.js';
import type { RecoveryRequest } from '../store/types.js';
import { trustedIncident } from './document.js';

/** Bumped when a field changes meaning or goes away (docs/json/incident-status.schema.json). */
export const INCIDENT_STATUS_SCHEMA_VERSION = 1;

export type TargetState =
  | 'awaiting-approval'
  | 'on-hold'
  | 'approved'
  | 'running'
  | 'completed'
  | 'failed'
  | 'needs-attention'
  | 'denied'
  | 'expired'
  | 'excluded';

export const TARGET_STATES: readonly TargetState[] = [
  'awaiting-approval',
  'on-hold',
  'approved',
  'running',
  'completed',
  'failed',
  'needs-attention',
  'denied',
  'expired',
  'excluded',
];

export interface TargetStatus {
  ref: string;
  requestId: string;
  runbookId: string;
  tier: RecoveryRequest['tier'];
  owners: string[];
  state: TargetState;
  quorum: { have: number; need: number };
  /** Owners whose verified approvals count (for a break-glass run: none). */
  approvers: string[];
  holdUntil?: string;
  runId?: string;
  executor?: string;
  breakGlass: boolean;
  /** A break-glass run waiting for its owners' retrospective review. */
  reviewRequired: boolean;
  /** The versions the signed plan revokes. */
  before: { versionId: string; labels: string[] }[];
  /** The credential issued by the run, once issued. */
  after?: { versionId: string; issuedAt?: string };
  lineageId?: string;
  derivedRevoked: DerivedRevocation[];
  exclusion?: IncidentExclusion;
  /** The run's error, a tampered row, or why it cannot run. */
  problem?: string;
}

export interface IncidentStatus {
  schemaVersion: number;
  id: string;
  digest: string;
  reason: string;
  requester: string;
  createdAt: string;
  expiresAt: string;
  selectors: string[];
  valueMatch: boolean;
  counts: Record<TargetState, number>;
  targets: TargetStatus[];
  unrecoverable: UnrecoverableTarget[];
  /** Targets a person must look at: failed, needs-attention, or a break-glass run not reviewed. */
  needsAttention: { ref: string; requestId: string; state: TargetState; next: string }[];
}

export async function incidentStatus(
  deps: { store: Store; config: Pick<ParsedConfig, 'policy'>; registry: OwnerRegistry; now: () => Date },
  incidentId: string,
): Promise<IncidentStatus> {
  const row = await deps.store.incidents.get(incidentId);
  if (!row) throw new NotFoundError(`no incident ${incidentId} (see nhi incident status)`);
  const incident = trustedIncident(row);
  const now = deps.now();
  const exclusions = new Map(incident.exclusions.map((e) => [e.ref, e]));
  const targets: TargetStatus[] = [];
  for (const { ref, requestId } of incident.requests) {
    targets.push(await targetStatus(deps, { ref, requestId, now, exclusion: exclusions.get(ref) }));
  }
  const counts = Object.fromEntries(TARGET_STATES.map((s) => [s, 0])) as Record<TargetState, number>;
  for (const t of targets) counts[t.state]++;
  return {
    schemaVersion: INCIDENT_STATUS_SCHEMA_VERSION,
    id: incident.id,
    digest: incident.digest,
    reason: incident.reason,
    requester: incident.requester,
    createdAt: incident.createdAt,
    expiresAt: incident.expiresAt,
    selectors: incident.document.selectors,
    valueMatch: incident.document.valueMatch,
    counts,
    targets,
    unrecoverable: incident.document.unrecoverable,
    needsAttention: targets.flatMap((t) => {
      const next = nextStep(t, incident.id);
      return next ? [{ ref: t.ref, requestId: t.requestId, state: t.state, next }] : [];
    }),
  };
}

async function targetStatus(
  deps: { store: Store; config: Pick<ParsedConfig, 'policy'>; registry: OwnerRegistry },
  t: { ref: string; requestId: string; now: Date; exclusion: IncidentExclusion | undefined },
): Promise<TargetStatus> {
  const row = await deps.store.requests.get(t.requestId);
  const base = {
    ref: t.ref,
    requestId: t.requestId,
    breakGlass: false,
    reviewRequired: false,
    derivedRevoked: [],
    before: [],
    approvers: [],
  };
  if (!row)
    return {
      ...base,
      runbookId: '',
      tier: 'standard',
      owners: [],
      state: 'failed',
      quorum: { have: 0, need: 0 },
      problem: `request ${t.requestId} is missing from the store`,
    };
  let request: ReturnType<typeof trustedRequest>;
  try {
    request = trustedRequest(row);
  } catch (error) {
    return {
      ...base,
      runbookId: row.runbookId,
      tier: row.tier,
      owners: row.owners,
      state: 'failed',
      quorum: { have: 0, need: 0 },
      problem: (error as Error).message,
    };
  }
  const approvals = await deps.store.approvals.forRequest(request.id);
  const q = evaluateApprovals({
    request,
    approvals,
    now: t.now,
    config: deps.config,
    registry: deps.registry,
  });
  const run = (await deps.store.runs.forRequest(request.id)).find((r) => r.status !== 'refused');
  const lineage = run
    ? (await deps.store.lineage.forRef(request.ref)).find((l) => l.runId === run.id)
    : undefined;
  const state: TargetState = t.exclusion
    ? 'excluded'
    : run
      ? run.status === 'completed'
        ? 'completed'
        : run.status === 'running'
          ? 'running'
          : run.status === 'needs-attention'
            ? 'needs-attention'
            : 'failed'
      : q.denies.length > 0
        ? 'denied'
        : !(Date.parse(request.expiresAt) > t.now.getTime()) || request.status === 'expired'
          ? 'expired'
          : q.met
            ? q.holdUntil && t.now.getTime() < q.holdUntil.getTime()
              ? 'on-hold'
              : 'approved'
            : 'awaiting-approval';
  const issued = lineage?.newVersion ?? run?.facts.issued;
  return {
    ...base,
    runbookId: request.runbookId,
    tier: request.tier,
    owners: request.owners,
    state,
    quorum: { have: q.counted.length, need: q.need },
    approvers: run?.facts.approvers ?? q.approvers,
    ...(q.holdUntil ? { holdUntil: q.holdUntil.toISOString() } : {}),
    ...(run ? { runId: run.id, executor: run.executor, breakGlass: run.breakGlass } : {}),
    reviewRequired: request.reviewRequired,
    before: request.signedPlan.revoke.versions.map((v) => ({ versionId: v.versionId, labels: v.labels })),
    ...(issued
      ? {
          after: {
            versionId: issued.versionId,
            ...('issuedAt' in issued && issued.issuedAt ? { issuedAt: issued.issuedAt } : {}),
          },
        }
      : {}),
    ...(lineage ? { lineageId: lineage.id } : {}),
    derivedRevoked: lineage?.oldVersions.flatMap((v) => v.derived ?? []) ?? [],
    ...(t.exclusion ? { exclusion: t.exclusion } : {}),
    ...(run?.error ? { problem: run.error } : {}),
  };
}

function nextStep(t: TargetStatus, incidentId: string): string | undefined {
  if (t.state === 'needs-attention' || (t.state === 'failed' && t.runId))
    return `${t.problem ?? t.state}: nhi status ${t.runId}, then nhi incident resume ${incidentId}`;
  if (t.state === 'failed') return t.problem ?? 'failed';
  if (t.state === 'completed' && t.reviewRequired)
    return `break-glass run: owners ${t.owners.join(', ') || '(none registered)'} review it (nhi approve ${t.requestId} ...)`;
  return undefined;
}
