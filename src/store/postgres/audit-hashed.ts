import type { AuditArea } from '../store.js';
import type { HashedAuditEntry, HashedRange } from '../types.js';
import type { PgGate } from './database.js';

/** Larger pages than the other streams: verify reads nothing else meanwhile, and rows are small. */
const PAGE = 1000;

/**
 * The SQL twin of `entryBody` (src/audit/chain.ts), built from the row's own columns: `data`
 * verbatim (its canonical bytes, stored at append), to_json for the strings (PostgreSQL's
 * escape_json escapes exactly what JSON.stringify does, with the same short and \u00xx forms)
 * and seq in decimal. test/store/contract.ts holds it byte-equal to entryBody.
 */
const BODY = `'{"actor":' || to_json(actor)::text || ',"data":' || data || ',"seq":' || seq::text ||
    ',"subject":' || to_json(subject)::text || ',"ts":' || to_json(ts)::text ||
    ',"type":' || to_json(type)::text || '}'`;

const PAGE_SQL = `SELECT seq, type, prev_hash, hash, ${BODY} AS body
  FROM audit_entries WHERE seq > $1 ORDER BY seq LIMIT $2`;

/**
 * A range in one statement, every field aggregated in seq order (src/audit/range-check.ts; the
 * columns are TEXT NOT NULL, which PostgreSQL enforces, and text holds no NUL). No worker reads
 * a PostgreSQL store itself: this connection reads the ranges, workers hash them.
 */
const RANGE_SQL = `SELECT count(*)::int AS count,
    coalesce(string_agg(seq::text, ',' ORDER BY seq), '') AS seqs,
    coalesce(string_agg(prev_hash, ',' ORDER BY seq), '') AS prev_hashes,
    coalesce(string_agg(hash, ',' ORDER BY seq), '') AS hashes,
    coalesce(string_agg(type, E'\\n' ORDER BY seq), '') AS types,
    coalesce(string_agg(prev_hash || ${BODY}, E'\\n' ORDER BY seq), '') AS inputs
  FROM audit_entries WHERE seq BETWEEN $1 AND $2`;

interface Row {
  seq: string | number;
  type: string;
  prev_hash: string;
  hash: string;
  body: string;
}

interface RangeRow {
  count: number;
  seqs: string;
  prev_hashes: string;
  hashes: string;
  types: string;
  inputs: string;
}

export function auditHashedMethods(g: PgGate): Pick<AuditArea, 'hashedEntries' | 'hashedRanges'> {
  return {
    async *hashedEntries(fromSeq = 0) {
      let after = fromSeq - 1;
      for (;;) {
        const rows = await g.conn().rows<Row>(PAGE_SQL, [after, PAGE]);
        const page: HashedAuditEntry[] = rows.map((r) => ({
          seq: Number(r.seq),
          type: r.type,
          prevHash: r.prev_hash,
          hash: r.hash,
          body: r.body,
        }));
        if (page.length > 0) yield page;
        if (rows.length < PAGE) return;
        after = (page.at(-1) as HashedAuditEntry).seq;
      }
    },
    async hashedRanges() {
      const [head] = await g
        .conn()
        .rows<{ last: string | number }>('SELECT coalesce(max(seq), 0) AS last FROM audit_entries');
      return {
        lastSeq: Number(head?.last ?? 0),
        read: async (fromSeq, toSeq): Promise<HashedRange> => {
          const [r] = await g.conn().rows<RangeRow>(RANGE_SQL, [fromSeq, toSeq]);
          const { count, seqs, prev_hashes: prevHashes, hashes, types, inputs } = r as RangeRow;
          return { count, seqs, prevHashes, hashes, types, inputs };
        },
      };
    },
  };
}
