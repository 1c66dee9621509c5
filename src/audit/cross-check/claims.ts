/**
 * Comparing a store row with the audit entry that recorded it, by "claim": the fields both
 * state, taken from each side. An index keeps only a digest of the entry's claim (not the
 * entry), so memory per row-backed entry stays small; a row whose digest differs reads its
 * entry again, once, to name the fields that differ.
 */
import { canonicalDigest, canonicalJson } from '../../lib/canonical.js';
import type { AuditEntry } from '../../store/types.js';
import type { CheckContext, EntryReader, RowKindName } from './types.js';

/** Field name -> value; undefined means "absent" (dropped from the digest, as in JSON). */
export type Claim = Record<string, unknown>;

export interface ClaimShape<Row> {
  ofRow(row: Row): Claim;
  ofEntry(entry: AuditEntry): Claim;
  /**
   * Fields an older entry may not have recorded: when the entry lacks one, the row's value is
   * not compared ("compare what is there"). Any other field absent from the entry must be
   * absent from the row too (a comment, an actor proof).
   */
  tolerant?: ReadonlySet<string>;
}

/** What the index keeps of one entry: where it is and a digest of what it claims. */
export interface IndexedClaim {
  seq: number;
  type: string;
  digest: string;
  /** Tolerant fields this entry lacks (usually none: one shared empty array). */
  skip: readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);

export function indexClaim<Row>(shape: ClaimShape<Row>, entry: AuditEntry): IndexedClaim {
  const claim = shape.ofEntry(entry);
  const skip = shape.tolerant ? [...shape.tolerant].filter((f) => claim[f] === undefined) : NONE;
  return { seq: entry.seq, type: entry.type, digest: digestOf(claim), skip: skip.length ? skip : NONE };
}

/** Canonical JSON (RFC 8785) of either side, so key order and JSON round trips do not matter. */
function digestOf(claim: Claim): string {
  try {
    return canonicalDigest(claim);
  } catch {
    // A value with no canonical JSON form (should not occur in JSON rows) never matches.
    return `unhashable:${Object.keys(claim).join(',')}`;
  }
}

function same(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

function rowClaim<Row>(shape: ClaimShape<Row>, row: Row, skip: readonly string[]): Claim {
  const claim = { ...shape.ofRow(row) };
  for (const f of skip) delete claim[f];
  return claim;
}

/**
 * The names of the fields on which `row` and the indexed entry disagree; empty when they agree.
 * Names only, never values: messages must not carry store content.
 */
export async function differingFields<Row>(
  shape: ClaimShape<Row>,
  row: Row,
  indexed: IndexedClaim,
  read: EntryReader,
): Promise<string[]> {
  const mine = rowClaim(shape, row, indexed.skip);
  if (digestOf(mine) === indexed.digest) return [];
  const entry = await read(indexed.seq);
  if (!entry) return ['(its entry could not be read again)'];
  const theirs = shape.ofEntry(entry);
  for (const f of indexed.skip) delete theirs[f];
  const fields = new Set([...Object.keys(mine), ...Object.keys(theirs)]);
  const differ = [...fields].filter((f) => !same(mine[f], theirs[f]));
  return differ.length ? differ : ['(its content)'];
}

/** Compare a row with its indexed entry and report the fields that differ; `what` prefixes the problem. */
export async function reportDifferences<Row>(
  ctx: CheckContext,
  kind: RowKindName,
  id: string,
  shape: ClaimShape<Row>,
  row: Row,
  recorded: IndexedClaim,
  what = '',
): Promise<void> {
  const fields = await differingFields(shape, row, recorded, ctx.readEntry);
  if (fields.length === 0) return;
  ctx.report({ kind, id, problem: `${what}${differ(fields)} from ${entryRef(recorded)}`, seq: recorded.seq });
}

/** A row's enum value for a message: only a known value is echoed, never arbitrary row text. */
export function shown(value: unknown, known: ReadonlySet<string>): string {
  return typeof value === 'string' && known.has(value) ? value : 'not a known value';
}

/** "tier, owners differ" / "proof differs". */
export function differ(fields: readonly string[]): string {
  return `${fields.join(', ')} ${fields.length === 1 ? 'differs' : 'differ'}`;
}

/** "approval.recorded entry (seq 12)". */
export function entryName(indexed: Pick<IndexedClaim, 'seq' | 'type'>): string {
  return `${indexed.type} entry (seq ${indexed.seq})`;
}

/** "its approval.recorded entry (seq 12)". */
export function entryRef(indexed: Pick<IndexedClaim, 'seq' | 'type'>): string {
  return `its ${entryName(indexed)}`;
}

/**
 * Row-backed entries by row id. A row takes its entry out as it is checked, so memory shrinks
 * as the rows stream by, and whatever is left at the end had its row deleted. A second entry
 * for the same id is kept aside and reported (an id is recorded once).
 */
export class ClaimIndex<T> {
  readonly #byId = new Map<string, T>();
  readonly duplicates: { id: string; first: T; again: T }[] = [];

  add(id: string, value: T): void {
    const first = this.#byId.get(id);
    if (first !== undefined) this.duplicates.push({ id, first, again: value });
    else this.#byId.set(id, value);
  }

  get(id: string): T | undefined {
    return this.#byId.get(id);
  }

  /** The entry for a row, which is then no longer waiting for one. */
  take(id: string): T | undefined {
    const value = this.#byId.get(id);
    if (value !== undefined) this.#byId.delete(id);
    return value;
  }

  /** Entries no row took: their rows are missing. */
  remaining(): Iterable<[string, T]> {
    return this.#byId.entries();
  }
}

/** Entries whose row is missing (deleted), and ids recorded twice. */
export function reportLeftovers<T extends Pick<IndexedClaim, 'seq' | 'type'>>(
  ctx: CheckContext,
  kind: RowKindName,
  index: ClaimIndex<T>,
): void {
  for (const [id, recorded] of index.remaining()) {
    ctx.report({
      kind,
      id,
      problem: `recorded by ${entryName(recorded)} but its row is missing (deleted?)`,
      seq: recorded.seq,
    });
  }
  for (const { id, first, again } of index.duplicates) {
    ctx.report({
      kind,
      id,
      problem: `recorded twice, by ${entryName(first)} and ${entryName(again)}`,
      seq: again.seq,
    });
  }
}
