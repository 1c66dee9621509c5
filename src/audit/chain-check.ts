/**
 * The chain half of `nhi audit verify`: every entry in seq order, each seq the one after the
 * last, each prevHash the previous entry's hash, each hash SHA-256 of prevHash and the entry's
 * bytes. The store hands over those bytes as it holds them, so an entry is hashed once and
 * never parsed or canonicalized (issue 17: canonicalize and JSON.parse were two thirds of a
 * verify); an entry is parsed only where a claim checker needs it, from the very bytes that
 * were hashed.
 *
 * A store that can (AuditArea.hashedRange, SQLite) hands over a thousand entries at a time as a
 * few strings, which worker threads check while this thread reads the next ones
 * (./range-check.ts, ./worker-pool.ts): every entry's hash is independent of the others, and
 * only the links join neighbours, which are checked where ranges meet. A range the fast check
 * cannot vouch for is checked entry by entry (`checkRows`), so the first bad seq and its reason
 * are the ones a single pass names.
 */
import type { AuditArea } from '../store/store.js';
import type { AuditEntry, AuditRanges, HashedAuditEntry, HashedRange } from '../store/types.js';
import { entryBody, entryHash, GENESIS_HASH, sha256HexOf } from './chain.js';
import { rangeIntact } from './range-check.js';
import { defaultVerifyWorkers, type RangeChecker, type RangeJob, VerifyPool } from './worker-pool.js';

/** What verification reads: the store's audit area, or an export file (src/audit/export-source.ts). */
export type AuditSource = Pick<AuditArea, 'entries' | 'checkpointsFrom'> &
  Partial<Pick<AuditArea, 'hashedEntries' | 'hashedRanges'>>;

/** Consecutive entries whose seq, prevHash and hash hold: seqs first, first + 1, ... */
export interface ChainPage {
  readonly first: number;
  readonly count: number;
  /** The type of each entry. */
  readonly types: readonly string[];
  /** The hash of entry `i` (seq first + i). */
  hash(i: number): string;
  /** Entry `i` as hashed, for a claim checker (`entryOf`). */
  entry(i: number): HashedAuditEntry;
  /** The first entry that breaks the chain, right after these; the last page when set. */
  bad?: { seq: number; reason: string };
}

export interface ChainOptions {
  /** Where ranges are checked (verifyAudit's pool); without one, a pool of `workers` is used. */
  pool?: RangeChecker;
  /** Worker threads of that pool (default: the other cores, at most 4; 0: none). */
  workers?: number;
  /** Entries per range (tests use small ones). */
  rangeSize?: number;
  /** The entry types whose `entry(i)` will be asked for (those with a claim checker). */
  claimTypes?: readonly string[];
}

const PAGE = 1000;
const RANGE = 1000;
/**
 * Ranges queued ahead of the one the walk needs next: enough for four workers holding two each
 * and this thread one; ~0.6 MB each where this thread reads them, ~80 KB where workers do.
 */
const AHEAD = 16;

export async function* checkedChain(source: AuditSource, opts: ChainOptions = {}): AsyncGenerator<ChainPage> {
  const at: Position = { seq: 0, hash: GENESIS_HASH };
  if (!source.hashedEntries || !source.hashedRanges) {
    yield* checkRows(source.hashedEntries ? source.hashedEntries() : hashedFromEntries(source), at);
    return;
  }
  const own = opts.pool ? undefined : new VerifyPool(opts.workers ?? defaultVerifyWorkers());
  const pool = (opts.pool ?? own) as RangeChecker;
  try {
    const ranges = await source.hashedRanges();
    const size = opts.rangeSize ?? RANGE;
    pool.prepareRanges(Math.ceil(Math.max(0, ranges.lastSeq) / size), ranges.worker, opts.claimTypes ?? []);
    yield* checkRanges(source as Ranged, ranges, pool, size, at);
  } finally {
    pool.dropRanges();
    await own?.close();
  }
}

type Ranged = AuditSource & Required<Pick<AuditArea, 'hashedEntries'>>;

/** How far the chain holds: its last entry's seq and hash. */
interface Position {
  seq: number;
  hash: string;
  bad?: { seq: number; reason: string };
}

/**
 * The ranges [0, size], [size + 1, 2 size], ... up to the last seq when the check began (so
 * every thread reads the same entries), a few read ahead of the walk, checked by whichever
 * thread is free; then whatever was appended since, entry by entry. The first range starts at
 * 0, as the entry-by-entry read does, so a seq-0 row is seen.
 */
async function* checkRanges(
  source: Ranged,
  ranges: AuditRanges,
  pool: RangeChecker,
  size: number,
  at: Position,
): AsyncGenerator<ChainPage> {
  const ahead: RangeJob[] = [];
  let first = 1;
  for (;;) {
    while (ahead.length < AHEAD && first <= ranges.lastSeq) {
      const toSeq = Math.min(first + size - 1, ranges.lastSeq);
      const job: RangeJob = { kind: 'range', fromSeq: first === 1 ? 0 : first, toSeq, first };
      // Workers that cannot read are handed the strings instead.
      if (!pool.workersRead) job.range = await ranges.read(job.fromSeq, toSeq);
      pool.queueRange(job);
      ahead.push(job);
      first = toSeq + 1;
    }
    const next = ahead.shift();
    if (!next) break;
    // Until it is checked, this thread does what is queued (it first, if no worker took it).
    while (next.intact === undefined) {
      const job = pool.takeRange(next);
      if (job) {
        job.range ??= await ranges.read(job.fromSeq, job.toSeq);
        job.intact = rangeIntact(job.range, job.first, sha256HexOf);
        // The store's promises settle at once: without a turn of the event loop, a worker's
        // "ready" and its answers would wait for the end.
        await pool.breathe();
      } else if (pool.helpSignatures()) await pool.breathe();
      else await pool.wait();
    }
    const range = next.range as HashedRange;
    // Whole (no entry missing at its end), and where ranges meet: it starts where the chain now
    // ends (the range before may have been checked entry by entry, and ended elsewhere).
    const types =
      next.intact &&
      range.count === next.toSeq - next.first + 1 &&
      next.first === at.seq + 1 &&
      range.prevHashes.slice(0, 64) === at.hash &&
      typesOf(range);
    if (types) {
      yield rangePage(range, next.first, types, next.claims);
      at.seq = next.toSeq;
      at.hash = range.hashes.slice(-64);
      continue;
    }
    yield* checkRows(source.hashedEntries(next.fromSeq), at, next.toSeq);
    if (at.bad) return;
    // Short of its end (an entry missing there): whatever follows is read entry by entry, so
    // the gap is named once, right where it is.
    if (at.seq !== next.toSeq) {
      yield* checkRows(source.hashedEntries(next.toSeq + 1), at);
      return;
    }
  }
  yield* checkRows(source.hashedEntries(Math.max(0, ranges.lastSeq + 1)), at);
}

/** The range's types, or undefined when one holds a newline (the count would not match). */
function typesOf(r: HashedRange): string[] | undefined {
  const types = r.types.split('\n');
  return types.length === r.count ? types : undefined;
}

function rangePage(
  r: HashedRange,
  first: number,
  types: readonly string[],
  claims: readonly [number, string][] | undefined,
): ChainPage {
  let inputs: string[] | undefined;
  let claimed: Map<number, string> | undefined;
  // Comma-separated, 64 characters each (range-check.ts).
  const hash = (i: number) => r.hashes.slice(65 * i, 65 * i + 64);
  return {
    first,
    count: r.count,
    types,
    hash,
    entry: (i) => {
      let input: string | undefined;
      if (claims) {
        claimed ??= new Map(claims);
        input = claimed.get(i);
      } else {
        inputs ??= r.inputs.split('\n');
        input = inputs[i];
      }
      // Only claim types came back from a worker (ChainOptions.claimTypes).
      if (input === undefined) throw new Error(`entry ${first + i} of a range was not kept for its claim`);
      // The input is the 64-character prevHash, then the body (range-check.ts).
      return {
        seq: first + i,
        type: types[i] as string,
        prevHash: input.slice(0, 64),
        hash: hash(i),
        body: input.slice(64),
      };
    },
  };
}

function rowsPage(rows: readonly HashedAuditEntry[], first: number, bad?: Position['bad']): ChainPage {
  return {
    first,
    count: rows.length,
    types: rows.map((r) => r.type),
    hash: (i) => (rows[i] as HashedAuditEntry).hash,
    entry: (i) => rows[i] as HashedAuditEntry,
    ...(bad ? { bad } : {}),
  };
}

/**
 * Entry by entry from `at`, up to `lastSeq`: every entry the store gives that far extends the
 * chain, or `at.bad` names the first that does not (and that page is the last).
 */
async function* checkRows(
  pages: AsyncIterable<readonly HashedAuditEntry[]>,
  at: Position,
  lastSeq = Number.POSITIVE_INFINITY,
): AsyncGenerator<ChainPage> {
  for await (const page of pages) {
    const first = at.seq + 1;
    for (let i = 0; i < page.length; i++) {
      const row = page[i] as HashedAuditEntry;
      if (row.seq > lastSeq) {
        if (i > 0) yield rowsPage(page.slice(0, i), first);
        return;
      }
      const bad = breaks(row, at.seq, at.hash);
      if (bad) {
        at.bad = bad;
        yield rowsPage(page.slice(0, i), first, bad);
        return;
      }
      at.seq = row.seq;
      at.hash = row.hash;
    }
    if (page.length > 0) yield rowsPage(page, first);
  }
}

/** A source without `hashedEntries` (an export file): the bytes are built from the parsed entry. */
async function* hashedFromEntries(source: AuditSource): AsyncIterable<readonly HashedAuditEntry[]> {
  let page: HashedAuditEntry[] = [];
  for await (const e of source.entries()) {
    // JSON.stringify keeps the key order of the parsed text, so an export of canonical data
    // gives back its canonical bytes; anything else goes the canonicalizing way (`hashes`).
    const body = entryBody(e, JSON.stringify(e.data));
    page.push({ seq: e.seq, type: e.type, prevHash: e.prevHash, hash: e.hash, body, entry: e });
    if (page.length === PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/** Why `row` does not extend the chain ending at (prevSeq, prevHash), or undefined when it does. */
function breaks(
  row: HashedAuditEntry,
  prevSeq: number,
  prevHash: string,
): { seq: number; reason: string } | undefined {
  if (row.seq !== prevSeq + 1) {
    // Name the first seq that is missing, not the survivor after it: that is where the log was cut.
    const seq = prevSeq + 1;
    return { seq, reason: `sequence gap or reorder: expected seq ${seq}, found ${row.seq} (entry deleted?)` };
  }
  if (row.prevHash !== prevHash)
    return {
      seq: row.seq,
      reason: 'prevHash does not match the previous entry (deleted or reordered entry)',
    };
  if (!hashes(row)) return { seq: row.seq, reason: 'content does not match its hash (entry edited)' };
  return undefined;
}

function hashes(row: HashedAuditEntry): boolean {
  if (row.body !== null && sha256HexOf(row.prevHash + row.body) === row.hash) return true;
  // Entries written before `data` was stored canonical hold it in the writer's key order: hash
  // them the way they were hashed. An edit fails both ways.
  const entry = entryOf(row);
  if (!entry) return false;
  try {
    return entryHash(entry) === row.hash;
  } catch {
    return false; // no canonical form (a lone surrogate): not what any writer hashed
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The entry the hash covers, parsed from the hashed bytes themselves, or undefined when they
 * are not one (a column edited by hand). Its seq and type must be the ones the chain check and
 * the checkpoint rules used, or a checker would judge a different entry than they did.
 */
export function entryOf(row: HashedAuditEntry): AuditEntry | undefined {
  if (row.entry) return row.entry;
  if (row.body === null) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(row.body);
  } catch {
    return undefined;
  }
  if (!isObject(v) || !isObject(v.data)) return undefined;
  const { seq, ts, type, actor, subject, data } = v;
  if (seq !== row.seq || type !== row.type) return undefined;
  if (typeof ts !== 'string' || typeof actor !== 'string' || typeof subject !== 'string') return undefined;
  return { seq, ts, type, actor, subject, data, prevHash: row.prevHash, hash: row.hash };
}
