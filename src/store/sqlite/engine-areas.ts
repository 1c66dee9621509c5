import { canonicalJson } from '../../lib/canonical.js';
import type { ApprovalArea, AuditArea, LineageArea, RequestArea, RunArea } from '../store.js';
import type {
  ApprovalRecord,
  AuditCheckpoint,
  AuditEntry,
  LineageRecord,
  RecoveryRequest,
  RunRecord,
  StepRecord,
} from '../types.js';
import { auditHashedMethods } from './audit-hashed.js';
import { auditWitnessMethods } from './audit-witness-areas.js';
import { json, type SqliteGate } from './database.js';

const PAGE = 500;

interface AuditRow {
  seq: number;
  ts: string;
  type: string;
  actor: string;
  subject: string;
  data: string;
  prev_hash: string;
  hash: string;
}

const toEntry = (r: AuditRow): AuditEntry => ({
  seq: r.seq,
  ts: r.ts,
  type: r.type,
  actor: r.actor,
  subject: r.subject,
  data: json(r.data),
  prevHash: r.prev_hash,
  hash: r.hash,
});

interface CheckpointRow {
  seq: number;
  hash: string;
  ts: string;
  key_id: string;
  signature: string;
}
const toCheckpoint = (r: CheckpointRow): AuditCheckpoint => ({
  seq: r.seq,
  hash: r.hash,
  ts: r.ts,
  keyId: r.key_id,
  signature: r.signature,
});

export function auditArea(g: SqliteGate): AuditArea {
  const db = g.statements;
  return {
    head: () =>
      g.exclusive(() => {
        const row = db.prepare('SELECT * FROM audit_entries ORDER BY seq DESC LIMIT 1').get() as
          | AuditRow
          | undefined;
        return row && toEntry(row);
      }),
    append: (e) =>
      g.exclusive(() => {
        // `data` as its canonical bytes, so the verifier hashes the stored text (./audit-hashed.ts).
        db.prepare(
          'INSERT INTO audit_entries (seq, ts, type, actor, subject, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(e.seq, e.ts, e.type, e.actor, e.subject, canonicalJson(e.data), e.prevHash, e.hash);
      }),
    async *entries(fromSeq = 0) {
      // Keyset pages rather than one cursor: the connection stays free between pages.
      let after = fromSeq - 1;
      for (;;) {
        const rows = await g.exclusive(
          () =>
            db
              .prepare('SELECT * FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?')
              .all(after, PAGE) as AuditRow[],
        );
        for (const row of rows) yield toEntry(row);
        if (rows.length < PAGE) return;
        after = (rows.at(-1) as AuditRow).seq;
      }
    },
    addCheckpoint: (cp) =>
      g.exclusive(() => {
        db.prepare(
          'INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature) VALUES (?, ?, ?, ?, ?)',
        ).run(cp.seq, cp.hash, cp.ts, cp.keyId, cp.signature);
      }),
    checkpoints: () =>
      g.exclusive(() =>
        (db.prepare('SELECT * FROM audit_checkpoints ORDER BY seq').all() as CheckpointRow[]).map(
          toCheckpoint,
        ),
      ),
    lastCheckpoint: () =>
      g.exclusive(() => {
        const row = db.prepare('SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1').get() as
          | CheckpointRow
          | undefined;
        return row && toCheckpoint(row);
      }),
    latestOfType: (type) =>
      g.exclusive(() => {
        const row = db
          .prepare('SELECT * FROM audit_entries WHERE type = ? ORDER BY seq DESC LIMIT 1')
          .get(type) as AuditRow | undefined;
        return row && toEntry(row);
      }),
    latestOfTypes: (types, limit) =>
      g.exclusive(() => {
        // One index range per type (audit_entries_type is (type, seq)), merged here: cheap
        // however long the log, where `type IN (...) ORDER BY seq` could sort every match.
        const newest = db.prepare('SELECT * FROM audit_entries WHERE type = ? ORDER BY seq DESC LIMIT ?');
        const rows = [...new Set(types)].flatMap((t) => newest.all(t, limit) as AuditRow[]);
        return rows
          .sort((a, b) => b.seq - a.seq)
          .slice(0, Math.max(0, limit))
          .map(toEntry);
      }),
    checkpointAt: (seq) =>
      g.exclusive(() => {
        const row = db.prepare('SELECT * FROM audit_checkpoints WHERE seq = ?').get(seq) as
          | CheckpointRow
          | undefined;
        return row && toCheckpoint(row);
      }),
    ...auditWitnessMethods(g),
    ...auditHashedMethods(g),
  };
}

type BodyRow = { body: string };

/**
 * Every row of a body table in insertion (rowid) order, in keyset pages, so a caller walking
 * a large table (audit verify's cross-check) never holds it in memory and the connection is
 * free between pages. `table` is one of this file's constants, never user input.
 */
async function* pagedBodies<T>(g: SqliteGate, table: 'requests' | 'approvals' | 'runs'): AsyncIterable<T> {
  const sql = `SELECT rowid AS rn, body FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`;
  let after = 0;
  for (;;) {
    const rows = await g.exclusive(
      () => g.statements.prepare(sql).all(after, PAGE) as (BodyRow & { rn: number })[],
    );
    for (const row of rows) yield json<T>(row.body);
    if (rows.length < PAGE) return;
    after = (rows.at(-1) as { rn: number }).rn;
  }
}

export function requestArea(g: SqliteGate): RequestArea {
  const db = g.statements;
  const get = (id: string) => {
    const row = db.prepare('SELECT body FROM requests WHERE id = ?').get(id) as BodyRow | undefined;
    return row && json<RecoveryRequest>(row.body);
  };
  return {
    insert: (r) =>
      g.exclusive(() => {
        db.prepare('INSERT INTO requests (id, ref, status, created_at, body) VALUES (?, ?, ?, ?, ?)').run(
          r.id,
          r.ref,
          r.status,
          r.createdAt,
          JSON.stringify(r),
        );
      }),
    get: (id) => g.exclusive(() => get(id)),
    update: (id, patch) =>
      g.exclusive(() => {
        const current = get(id);
        if (!current) throw new Error(`request ${id} not found`);
        const next = { ...current, ...patch };
        db.prepare('UPDATE requests SET status = ?, body = ? WHERE id = ?').run(
          next.status,
          JSON.stringify(next),
          id,
        );
      }),
    list: (filter = {}) =>
      g.exclusive(() => {
        const rows = db
          .prepare(
            `SELECT body FROM requests WHERE (@status IS NULL OR status = @status) AND (@ref IS NULL OR ref = @ref)
             ORDER BY created_at, id`,
          )
          .all({ status: filter.status ?? null, ref: filter.ref ?? null }) as BodyRow[];
        return rows.map((r) => json<RecoveryRequest>(r.body));
      }),
    all: () => pagedBodies<RecoveryRequest>(g, 'requests'),
  };
}

export function approvalArea(g: SqliteGate): ApprovalArea {
  const db = g.statements;
  return {
    insert: (a) =>
      g.exclusive(() => {
        db.prepare('INSERT INTO approvals (id, request_id, created_at, body) VALUES (?, ?, ?, ?)').run(
          a.id,
          a.requestId,
          a.createdAt,
          JSON.stringify(a),
        );
      }),
    forRequest: (requestId) =>
      g.exclusive(() =>
        (
          db
            .prepare('SELECT body FROM approvals WHERE request_id = ? ORDER BY created_at, rowid')
            .all(requestId) as BodyRow[]
        ).map((r) => json<ApprovalRecord>(r.body)),
      ),
    all: () => pagedBodies<ApprovalRecord>(g, 'approvals'),
  };
}

export function runArea(g: SqliteGate): RunArea {
  const db = g.statements;
  const get = (id: string) => {
    const row = db.prepare('SELECT body FROM runs WHERE id = ?').get(id) as BodyRow | undefined;
    return row && json<RunRecord>(row.body);
  };
  return {
    insert: (r) =>
      g.exclusive(() => {
        db.prepare('INSERT INTO runs (id, request_id, status, started_at, body) VALUES (?, ?, ?, ?, ?)').run(
          r.id,
          r.requestId,
          r.status,
          r.startedAt,
          JSON.stringify(r),
        );
      }),
    get: (id) => g.exclusive(() => get(id)),
    update: (id, patch) =>
      g.exclusive(() => {
        const current = get(id);
        if (!current) throw new Error(`run ${id} not found`);
        const next = { ...current, ...patch };
        db.prepare('UPDATE runs SET status = ?, body = ? WHERE id = ?').run(
          next.status,
          JSON.stringify(next),
          id,
        );
      }),
    forRequest: (requestId) =>
      g.exclusive(() =>
        (
          db
            .prepare('SELECT body FROM runs WHERE request_id = ? ORDER BY started_at, rowid')
            .all(requestId) as BodyRow[]
        ).map((r) => json<RunRecord>(r.body)),
      ),
    list: (filter = {}) =>
      g.exclusive(() =>
        (
          db
            .prepare(
              'SELECT body FROM runs WHERE (@status IS NULL OR status = @status) ORDER BY started_at, rowid',
            )
            .all({ status: filter.status ?? null }) as BodyRow[]
        ).map((r) => json<RunRecord>(r.body)),
      ),
    all: () => pagedBodies<RunRecord>(g, 'runs'),
    upsertStep: (s) =>
      g.exclusive(() => {
        db.prepare(
          `INSERT INTO run_steps (run_id, step_id, idx, body) VALUES (?, ?, ?, ?)
           ON CONFLICT (run_id, step_id) DO UPDATE SET idx = excluded.idx, body = excluded.body`,
        ).run(s.runId, s.stepId, s.index, JSON.stringify(s));
      }),
    steps: (runId) =>
      g.exclusive(() =>
        (db.prepare('SELECT body FROM run_steps WHERE run_id = ? ORDER BY idx').all(runId) as BodyRow[]).map(
          (r) => json<StepRecord>(r.body),
        ),
      ),
  };
}

export function lineageArea(g: SqliteGate): LineageArea {
  const db = g.statements;
  return {
    insert: (l) =>
      g.exclusive(() => {
        const next = (
          db.prepare('SELECT COALESCE(MAX(rowno), 0) + 1 AS n FROM lineage').get() as { n: number }
        ).n;
        db.prepare('INSERT INTO lineage (id, ref, created_at, rowno, body) VALUES (?, ?, ?, ?, ?)').run(
          l.id,
          l.ref,
          l.createdAt,
          next,
          JSON.stringify(l),
        );
      }),
    forRef: (ref) =>
      g.exclusive(() =>
        (db.prepare('SELECT body FROM lineage WHERE ref = ? ORDER BY rowno').all(ref) as BodyRow[]).map((r) =>
          json<LineageRecord>(r.body),
        ),
      ),
    async *all() {
      let after = 0;
      for (;;) {
        const rows = await g.exclusive(
          () =>
            db
              .prepare('SELECT rowno, body FROM lineage WHERE rowno > ? ORDER BY rowno LIMIT ?')
              .all(after, PAGE) as (BodyRow & {
              rowno: number;
            })[],
        );
        for (const row of rows) yield json<LineageRecord>(row.body);
        if (rows.length < PAGE) return;
        after = (rows.at(-1) as { rowno: number }).rowno;
      }
    },
  };
}

export type { StepRecord };
