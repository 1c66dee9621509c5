import { createRequire } from 'node:module';
import type { AuditArea } from '../store.js';
import type { HashedAuditEntry, HashedRange } from '../types.js';
import type { SqliteGate } from './database.js';

/** Larger pages than the other streams: verify reads nothing else meanwhile, and rows are small. */
const PAGE = 1000;

/**
 * The SQL twin of `entryBody` (src/audit/chain.ts), built from the row's own columns: `data`
 * verbatim (its canonical bytes, stored at append), json_quote for the strings (it escapes
 * exactly what JSON.stringify does, with the same short and \u00xx forms) and the integer seq
 * in decimal. test/store/contract.ts holds it byte-equal to entryBody. Only ever evaluated
 * where every column is TEXT (below): a column that is not (a BLOB written by hand) yields no
 * body, which the verifier reports as an edit, as a reader would not get a string from it either.
 */
const BODY_PARTS = `'{"actor":', json_quote(actor), ',"data":', data, ',"seq":', seq,
    ',"subject":', json_quote(subject), ',"ts":', json_quote(ts), ',"type":', json_quote(type), '}'`;

const ALL_TEXT = `typeof(actor) = 'text' AND typeof(subject) = 'text' AND typeof(ts) = 'text'
    AND typeof(type) = 'text' AND typeof(data) = 'text'`;

const BODY = `CASE WHEN ${ALL_TEXT} THEN concat(${BODY_PARTS}) END`;

const PAGE_SQL = `SELECT seq, type, prev_hash, hash, ${BODY} FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?`;

/**
 * A range in one statement, every field aggregated in the same pass (so in the same row order,
 * which `seqs` shows). A row's input is prev_hash and body where every column is text, and a
 * NUL otherwise (no body holds one: JSON escapes it), after which the range is checked entry by
 * entry (src/audit/range-check.ts). Hashes are comma-separated, so each is compared whole.
 */
const RANGE_SQL = `SELECT count(*), coalesce(group_concat(seq, ','), ''),
    coalesce(group_concat(prev_hash, ','), ''), coalesce(group_concat(hash, ','), ''),
    coalesce(group_concat(type, char(10)), ''),
    coalesce(group_concat(CASE WHEN ${ALL_TEXT} AND typeof(prev_hash) = 'text' AND typeof(hash) = 'text'
      THEN concat(prev_hash, ${BODY_PARTS}) ELSE char(0) END, char(10)), '')
  FROM audit_entries WHERE seq BETWEEN ? AND ?`;

/**
 * RANGE_SQL's row as a HashedRange. Worker threads run it too (src/audit/worker-source.ts embeds
 * its text), so it uses nothing but its argument.
 */
export function hashedRangeOf(row: unknown): HashedRange {
  const [count, seqs, prevHashes, hashes, types, inputs] = row as RangeRow;
  return { count, seqs, prevHashes, hashes, types, inputs };
}

/** better-sqlite3 itself, for a worker thread to load (a path: the worker has no module resolution of ours). */
const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

type Row = [number, string, string, string, string | null];
type RangeRow = [number, string, string, string, string, string];

export function auditHashedMethods(g: SqliteGate): Pick<AuditArea, 'hashedEntries' | 'hashedRanges'> {
  return {
    async *hashedEntries(fromSeq = 0) {
      // Raw rows (arrays), keyset pages: a row object per entry was a third of the read.
      const statement = g.statements.prepare(PAGE_SQL).raw(true);
      let after = fromSeq - 1;
      for (;;) {
        const rows = await g.exclusive(() => statement.all(after, PAGE) as Row[]);
        const page: HashedAuditEntry[] = new Array(rows.length);
        for (let i = 0; i < rows.length; i++) {
          const [seq, type, prevHash, hash, body] = rows[i] as Row;
          page[i] = { seq, type, prevHash, hash, body };
        }
        if (page.length > 0) yield page;
        if (rows.length < PAGE) return;
        after = (rows.at(-1) as Row)[0];
      }
    },
    async hashedRanges() {
      const lastSeq = await g.exclusive(
        () => g.statements.prepare('SELECT coalesce(max(seq), 0) FROM audit_entries').pluck().get() as number,
      );
      const range = g.statements.prepare(RANGE_SQL).raw(true);
      return {
        lastSeq,
        read: (fromSeq, toSeq) => g.exclusive(() => hashedRangeOf(range.get(fromSeq, toSeq))),
        ...(g.file ? { worker: { driver: DRIVER, file: g.file, sql: RANGE_SQL } } : {}),
      };
    },
  };
}
