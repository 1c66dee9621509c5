import type { StoreTx } from '../../store/store.js';
import type { AuditEntry } from '../../store/types.js';

/** Reads one entry again (only for a row that disagrees with it). */
export type EntryReader = (seq: number) => Promise<AuditEntry | undefined>;

/** The store areas whose rows are cross-checked; `ack`: finding acknowledgments (acks.ts); `incident`: incidents.ts. */
export type RowKindName = 'request' | 'approval' | 'run' | 'lineage' | 'ack' | 'incident';

/** One row that disagrees with the audit log, named by id; the problem names fields, never values. */
export interface RowProblem {
  kind: RowKindName;
  id: string;
  problem: string;
  /** The audit entry the row was compared with, when there is one. */
  seq?: number;
}

export interface CheckContext {
  store: StoreTx;
  report(problem: RowProblem): void;
  readEntry: EntryReader;
}

/**
 * One kind of row and the audit entries that record it. `index` sees every entry once, in seq
 * order, before any row is read; then `checkRows` streams the area's rows and compares each
 * with what was indexed; `reportMissing` names entries no row answered (deleted rows).
 * A new kind (e.g. finding acknowledgments) is one more implementation in the list in index.ts.
 */
export interface RowKind {
  readonly kind: RowKindName;
  index(entry: AuditEntry): void;
  /** Returns how many rows were cross-checked. */
  checkRows(ctx: CheckContext): Promise<number>;
  reportMissing(ctx: CheckContext): void;
}
