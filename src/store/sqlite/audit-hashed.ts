import type { AuditArea } from '../store.js';
import type { HashedAuditEntry } from '../types.js';
import type { SqliteGate } from './database.js';

/** Larger pages than the other streams: verify reads nothing else meanwhile, and rows are small. */
const PAGE = 1000;

/**
 * The SQL twin of `entryBody` (src/audit/chain.ts), built from the row's own columns: `data`
 * verbatim (its canonical bytes, stored at append), json_quote for the strings (it escapes
 * exactly what JSON.stringify does, with the same short and \u00xx forms) and the integer seq
 * in decimal. test/store/contract.ts holds it byte-equal to entryBody. A column that is not
 * TEXT (a BLOB written by hand) yields no body, which the verifier reports as an edit: a reader
 * would not get a string from it either.
 */
const BODY = `CASE WHEN typeof(actor) || typeof(subject) || typeof(ts) || typeof(type) || typeof(data)
    = 'texttexttexttexttext'
  THEN '{"actor":' || json_quote(actor) || ',"data":' || data || ',"seq":' || seq ||
    ',"subject":' || json_quote(subject) || ',"ts":' || json_quote(ts) || ',"type":' || json_quote(type) || '}'
  END`;

const PAGE_SQL = `SELECT seq, type, prev_hash, hash, ${BODY} FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?`;

type Row = [number, string, string, string, string | null];

export function auditHashedMethods(g: SqliteGate): Pick<AuditArea, 'hashedEntries'> {
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
  };
}
