import type { AuditArea } from '../store.js';
import type { HashedAuditEntry } from '../types.js';
import type { PgGate } from './database.js';

/** Larger pages than the other streams: verify reads nothing else meanwhile, and rows are small. */
const PAGE = 1000;

/**
 * The SQL twin of `entryBody` (src/audit/chain.ts), built from the row's own columns: `data`
 * verbatim (its canonical bytes, stored at append), to_json for the strings (PostgreSQL's
 * escape_json escapes exactly what JSON.stringify does, with the same short and \u00xx forms)
 * and seq in decimal. test/store/contract.ts holds it byte-equal to entryBody.
 */
const PAGE_SQL = `SELECT seq, type, prev_hash, hash,
    '{"actor":' || to_json(actor)::text || ',"data":' || data || ',"seq":' || seq::text ||
    ',"subject":' || to_json(subject)::text || ',"ts":' || to_json(ts)::text ||
    ',"type":' || to_json(type)::text || '}' AS body
  FROM audit_entries WHERE seq > $1 ORDER BY seq LIMIT $2`;

interface Row {
  seq: string | number;
  type: string;
  prev_hash: string;
  hash: string;
  body: string;
}

export function auditHashedMethods(g: PgGate): Pick<AuditArea, 'hashedEntries'> {
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
  };
}
