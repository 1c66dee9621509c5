/**
 * What an attacker with write access to the state database does to the audit tables, done
 * with a second SQLite connection, as they would. With `resign`, they also hold the audit key.
 */
import type { KeyObject } from 'node:crypto';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { checkpointPayload, entryHash, GENESIS_HASH } from '../../src/audit/chain.js';
import { signBytes } from '../../src/audit/keys.js';
import { runCli } from '../../src/cli/program.js';

/** An audit_entries row as SQLite holds it. */
export interface AuditRow {
  seq: number;
  ts: string;
  type: string;
  actor: string;
  subject: string;
  data: string;
  prev_hash: string;
  hash: string;
}

/**
 * Rewrite the chain: `edit` may change or drop (return null) each entry; survivors are
 * renumbered 1..n and re-hashed. Checkpoints are then emptied, or re-signed at the same
 * seqs with `resign` (someone holding the audit signing key).
 */
export function rewriteChain(
  dbPath: string,
  edit: (row: AuditRow) => AuditRow | null,
  resign?: KeyObject,
): void {
  const db = new Database(dbPath);
  try {
    db.transaction(() => {
      const rows = db.prepare('SELECT * FROM audit_entries ORDER BY seq').all() as AuditRow[];
      const checkpoints = db.prepare('SELECT seq, key_id FROM audit_checkpoints').all() as {
        seq: number;
        key_id: string;
      }[];
      db.prepare('DELETE FROM audit_entries').run();
      db.prepare('DELETE FROM audit_checkpoints').run();
      const insert = db.prepare(
        'INSERT INTO audit_entries (seq, ts, type, actor, subject, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const hashes = new Map<number, string>();
      let prevHash = GENESIS_HASH;
      let seq = 0;
      for (const original of rows) {
        const row = edit({ ...original });
        if (!row) continue;
        seq++;
        const body = {
          seq,
          ts: row.ts,
          type: row.type,
          actor: row.actor,
          subject: row.subject,
          data: JSON.parse(row.data) as Record<string, unknown>,
          prevHash,
        };
        const hash = entryHash(body);
        insert.run(seq, row.ts, row.type, row.actor, row.subject, row.data, prevHash, hash);
        hashes.set(seq, hash);
        prevHash = hash;
      }
      if (!resign) return;
      const addCp = db.prepare(
        'INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature) VALUES (?, ?, ?, ?, ?)',
      );
      for (const cp of checkpoints) {
        const hash = hashes.get(cp.seq);
        if (!hash) continue;
        const signature = signBytes(resign, checkpointPayload(cp.seq, hash));
        addCp.run(cp.seq, hash, new Date().toISOString(), cp.key_id, signature);
      }
    })();
  } finally {
    db.close();
  }
}

/** Delete every entry after `seq` together with its checkpoints: the log rolled back to a valid state. */
export function truncateAfter(dbPath: string, seq: number): void {
  const db = new Database(dbPath);
  try {
    db.prepare('DELETE FROM audit_entries WHERE seq > ?').run(seq);
    db.prepare('DELETE FROM audit_checkpoints WHERE seq > ?').run(seq);
  } finally {
    db.close();
  }
}

export function sql<T>(dbPath: string, query: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath);
  try {
    const statement = db.prepare(query);
    if (!statement.reader) {
      statement.run(...params);
      return [];
    }
    return statement.all(...params) as T[];
  } finally {
    db.close();
  }
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** The CLI in process, as test/cli/cli.test.ts drives it. */
export async function nhi(configPath: string, ...args: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(['--config', configPath, ...args], { stdout, stderr, env: {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
