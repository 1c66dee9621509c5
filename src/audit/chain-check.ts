/**
 * The chain half of `nhi audit verify`: every entry in seq order, each seq the one after the
 * last, each prevHash the previous entry's hash, each hash SHA-256 of prevHash and the entry's
 * bytes. The store hands over those bytes as it holds them (AuditArea.hashedEntries), so an
 * entry is hashed once and never parsed or canonicalized (issue 17: canonicalize and JSON.parse
 * were two thirds of a verify); an entry is parsed only where a claim checker needs it, from
 * the very bytes that were hashed.
 */
import type { AuditArea } from '../store/store.js';
import type { AuditEntry, HashedAuditEntry } from '../store/types.js';
import { entryBody, entryHash, GENESIS_HASH, sha256HexOf } from './chain.js';

/** What verification reads: the store's audit area, or an export file (src/audit/export-source.ts). */
export type AuditSource = Pick<AuditArea, 'entries' | 'checkpointsFrom'> &
  Partial<Pick<AuditArea, 'hashedEntries'>>;

export interface ChainPage {
  /** Entries whose seq, prevHash and hash hold, in order. */
  rows: readonly HashedAuditEntry[];
  /** The first entry that breaks the chain, right after `rows`; the last page when set. */
  bad?: { seq: number; reason: string };
}

const PAGE = 1000;

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

export async function* checkedChain(source: AuditSource): AsyncGenerator<ChainPage> {
  const pages = source.hashedEntries ? source.hashedEntries() : hashedFromEntries(source);
  let prevSeq = 0;
  let prevHash = GENESIS_HASH;
  for await (const page of pages) {
    for (let i = 0; i < page.length; i++) {
      const row = page[i] as HashedAuditEntry;
      const bad = breaks(row, prevSeq, prevHash);
      if (bad) {
        yield { rows: page.slice(0, i), bad };
        return;
      }
      prevSeq = row.seq;
      prevHash = row.hash;
    }
    yield { rows: page };
  }
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
