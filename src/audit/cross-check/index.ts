/**
 * `nhi audit verify`, after the chain check: the state store is believed only where it agrees
 * with the (verified) audit log. Every request, approval, run and lineage row is compared
 * with the entry that recorded it; a row that disagrees, or that no entry records, and an
 * entry whose row is gone, are named by id with the fields that differ (never their values).
 *
 * Cost: one pass over the log builds an index of the row-backed entries only, keeping per
 * entry its seq, type and a SHA-256 of the fields compared (a few hundred bytes), plus a few
 * replayed status fields per request and run: memory is O(rows), roughly 0.3 GB per million
 * rows, not O(entries). The rows are then streamed page by page and each looked up in O(1),
 * so time is O(entries + rows); only a row that disagrees reads its entry again, to name
 * fields. A store too large for that would move the index into a temporary table.
 */
import type { Store, StoreTx } from '../../store/store.js';
import type { AuditEntry } from '../../store/types.js';
import { ackKind } from './acks.js';
import { approvalKind } from './approvals.js';
import { incidentKind } from './incidents.js';
import { lineageKind } from './lineage.js';
import { requestKind } from './requests.js';
import { runKind } from './runs.js';
import type { CheckContext, RowKind, RowKindName, RowProblem } from './types.js';

export type { RowKindName, RowProblem } from './types.js';

/** Problems listed in full; beyond this only counted (a wholesale rewrite would flood the output). */
export const MAX_LISTED_PROBLEMS = 500;

export interface CrossCheckVerdict {
  ok: boolean;
  /** Rows cross-checked, per area. */
  rows: Record<RowKindName, number>;
  /** Every problem found; the first MAX_LISTED_PROBLEMS are in `problems`. */
  problemCount: number;
  problems: RowProblem[];
}

/**
 * Runs in one read snapshot: a process writing meanwhile (`nhi serve`) commits a row and its
 * entry together, and the cross-check must see both or neither.
 */
export function crossCheckStore(store: Store): Promise<CrossCheckVerdict> {
  return store.snapshot((tx) => crossCheck(tx));
}

async function crossCheck(store: StoreTx): Promise<CrossCheckVerdict> {
  const runs = runKind();
  // Report order; requests replay run entries through `runs` (terminal entries name only the run).
  const kinds: RowKind[] = [
    requestKind(runs),
    approvalKind(),
    runs,
    lineageKind(),
    ackKind(),
    incidentKind(),
  ];
  for await (const entry of store.audit.entries()) for (const kind of kinds) kind.index(entry);

  const problems: RowProblem[] = [];
  let problemCount = 0;
  const ctx: CheckContext = {
    store,
    report(problem) {
      problemCount++;
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push(problem);
    },
    readEntry: (seq) => entryAt(store, seq),
  };
  const rows = { request: 0, approval: 0, run: 0, lineage: 0, ack: 0, incident: 0 };
  for (const kind of kinds) rows[kind.kind] = await kind.checkRows(ctx);
  for (const kind of kinds) kind.reportMissing(ctx);
  return { ok: problemCount === 0, rows, problemCount, problems };
}

async function entryAt(store: StoreTx, seq: number): Promise<AuditEntry | undefined> {
  for await (const entry of store.audit.entries(seq)) return entry.seq === seq ? entry : undefined;
  return undefined;
}

/** "4 request, 5 approval, 3 run, 2 lineage row(s) cross-checked against their audit entries". */
export function crossCheckSummary(v: CrossCheckVerdict): string {
  const { request, approval, run, lineage, ack, incident } = v.rows;
  // Acknowledgments and incidents are named only when there are some, so the common line stays as it was.
  const acks = ack > 0 ? `, ${ack} acknowledgment` : '';
  const incidents = incident > 0 ? `, ${incident} incident` : '';
  return `${request} request, ${approval} approval, ${run} run, ${lineage} lineage${acks}${incidents} row(s) cross-checked against their audit entries`;
}

/** "approval apr_…: proof differs from its approval.recorded entry (seq 12)". */
export function describeRowProblem(p: RowProblem): string {
  return `${p.kind} ${p.id}: ${p.problem}`;
}

/** The failure message: what was checked, then each bad row on its own line. */
export function crossCheckFailure(v: CrossCheckVerdict): string {
  const lines = [
    `state store does NOT match the audit log (the log itself is intact): ${v.problemCount} problem(s); ${crossCheckSummary(v)}`,
    ...v.problems.map((p) => `  ${describeRowProblem(p)}`),
  ];
  const unlisted = v.problemCount - v.problems.length;
  if (unlisted > 0) lines.push(`  ... and ${unlisted} more`);
  return lines.join('\n');
}

/** The chain verdict with the cross-check added, for `--json`: `ok` is false if either fails. */
export function withCrossCheck<T extends { ok: boolean }>(
  verdict: T,
  crossCheck: CrossCheckVerdict | undefined,
): T & { crossCheck?: CrossCheckVerdict } {
  return crossCheck ? { ...verdict, ok: verdict.ok && crossCheck.ok, crossCheck } : verdict;
}
