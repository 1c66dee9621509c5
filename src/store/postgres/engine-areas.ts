import { canonicalJson } from '../../lib/canonical.js';
import { ConflictError } from '../../lib/errors.js';
import type { ApprovalArea, AuditArea, LineageArea, RequestArea, RunArea } from '../store.js';
import type {
  ApprovalRecord,
  AuditEntry,
  LineageRecord,
  RecoveryRequest,
  RunRecord,
  StepRecord,
} from '../types.js';
import { auditHashedMethods } from './audit-hashed.js';
import { auditWitnessMethods, type CheckpointRow, toCheckpoint } from './audit-witness-areas.js';
import { json, type PgGate, paged, patchBody } from './database.js';

interface AuditRow {
  seq: string | number;
  ts: string;
  type: string;
  actor: string;
  subject: string;
  data: string;
  prev_hash: string;
  hash: string;
}

const toEntry = (r: AuditRow): AuditEntry => ({
  seq: Number(r.seq),
  ts: r.ts,
  type: r.type,
  actor: r.actor,
  subject: r.subject,
  data: json(r.data),
  prevHash: r.prev_hash,
  hash: r.hash,
});

const ENTRY = 'SELECT seq, ts, type, actor, subject, data, prev_hash, hash FROM audit_entries';
const CHECKPOINT = 'SELECT seq, hash, ts, key_id, signature FROM audit_checkpoints';

export function auditArea(g: PgGate): AuditArea {
  return {
    head: async () => {
      const c = g.conn();
      // In a write transaction, reading the head is the first half of an append: hold the
      // chain head's row lock from here to the commit (the write lock already orders
      // transactions; this also holds against a bare append from outside one).
      if (c.kind === 'tx') await c.rows('SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE');
      const [row] = await c.rows<AuditRow>(`${ENTRY} ORDER BY seq DESC LIMIT 1`);
      return row && toEntry(row);
    },
    append: async (e) => {
      await g.conn().atomic(async (c) => {
        // Compare-and-set on the chain head: an entry that does not extend it exactly (a
        // writer that read a stale head) is refused, so the log never forks or skips.
        const moved = await c.write(
          'UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3 AND hash = $4',
          [e.seq, e.hash, e.seq - 1, e.prevHash],
        );
        if (moved !== 1) {
          throw new ConflictError(
            `audit entry ${e.seq} does not extend the chain head (another writer appended first)`,
          );
        }
        // `data` as its canonical bytes, so the verifier hashes the stored text (./audit-hashed.ts).
        await c.write(
          'INSERT INTO audit_entries (seq, ts, type, actor, subject, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [e.seq, e.ts, e.type, e.actor, e.subject, canonicalJson(e.data), e.prevHash, e.hash],
        );
      });
    },
    async *entries(fromSeq = 0) {
      const rows = paged<AuditRow>(g, `${ENTRY} WHERE seq > $1 ORDER BY seq LIMIT $2`, (last) => [
        last ? last.seq : fromSeq - 1,
      ]);
      for await (const row of rows) yield toEntry(row);
    },
    addCheckpoint: async (cp) => {
      await g
        .conn()
        .write(
          'INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature) VALUES ($1, $2, $3, $4, $5)',
          [cp.seq, cp.hash, cp.ts, cp.keyId, cp.signature],
        );
    },
    checkpoints: async () =>
      (await g.conn().rows<CheckpointRow>(`${CHECKPOINT} ORDER BY seq`)).map(toCheckpoint),
    lastCheckpoint: async () => {
      const [row] = await g.conn().rows<CheckpointRow>(`${CHECKPOINT} ORDER BY seq DESC LIMIT 1`);
      return row && toCheckpoint(row);
    },
    latestOfType: async (type) => {
      const [row] = await g
        .conn()
        .rows<AuditRow>(`${ENTRY} WHERE type = $1 ORDER BY seq DESC LIMIT 1`, [type]);
      return row && toEntry(row);
    },
    latestOfTypes: async (types, limit) => {
      // One index range per type (audit_entries_type is (type, seq)), merged here: cheap however
      // long the log, where `type = ANY(...) ORDER BY seq` may walk the whole seq index.
      const c = g.conn();
      const rows: AuditRow[] = [];
      for (const t of new Set(types))
        rows.push(
          ...(await c.rows<AuditRow>(`${ENTRY} WHERE type = $1 ORDER BY seq DESC LIMIT $2`, [t, limit])),
        );
      return rows
        .map(toEntry)
        .sort((a, b) => b.seq - a.seq)
        .slice(0, Math.max(0, limit));
    },
    checkpointAt: async (seq) => {
      const [row] = await g.conn().rows<CheckpointRow>(`${CHECKPOINT} WHERE seq = $1`, [seq]);
      return row && toCheckpoint(row);
    },
    ...auditWitnessMethods(g),
    ...auditHashedMethods(g),
  };
}

type BodyRow = { body: string };

async function bodies<T>(g: PgGate, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  return (await g.conn().rows<BodyRow>(sql, params)).map((r) => json<T>(r.body));
}

async function one<T>(g: PgGate, sql: string, id: string): Promise<T | undefined> {
  const [row] = await g.conn().rows<BodyRow>(sql, [id]);
  return row && json<T>(row.body);
}

/**
 * Every row of a body table in insertion order (the `rn` identity column, as SQLite's rowid),
 * in keyset pages. `table` is one of this file's constants, never user input.
 */
async function* pagedBodies<T>(
  g: PgGate,
  table: 'requests' | 'approvals' | 'runs' | 'lineage',
): AsyncIterable<T> {
  const rows = paged<BodyRow & { rn: string }>(
    g,
    `SELECT rn, body FROM ${table} WHERE rn > $1 ORDER BY rn LIMIT $2`,
    (last) => [last ? last.rn : 0],
  );
  for await (const row of rows) yield json<T>(row.body);
}

export function requestArea(g: PgGate): RequestArea {
  return {
    insert: async (r) => {
      await g
        .conn()
        .write('INSERT INTO requests (id, ref, status, created_at, body) VALUES ($1, $2, $3, $4, $5)', [
          r.id,
          r.ref,
          r.status,
          r.createdAt,
          JSON.stringify(r),
        ]);
    },
    get: (id) => one<RecoveryRequest>(g, 'SELECT body FROM requests WHERE id = $1', id),
    update: (id, patch) =>
      patchBody<RecoveryRequest>(g, 'requests', 'id', id, patch, () => new Error(`request ${id} not found`), {
        status: (next) => next.status,
      }),
    list: (filter = {}) =>
      bodies<RecoveryRequest>(
        g,
        `SELECT body FROM requests WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR ref = $2)
         ORDER BY created_at, id`,
        [filter.status ?? null, filter.ref ?? null],
      ),
    all: () => pagedBodies<RecoveryRequest>(g, 'requests'),
  };
}

export function approvalArea(g: PgGate): ApprovalArea {
  return {
    insert: async (a) => {
      await g
        .conn()
        .write('INSERT INTO approvals (id, request_id, created_at, body) VALUES ($1, $2, $3, $4)', [
          a.id,
          a.requestId,
          a.createdAt,
          JSON.stringify(a),
        ]);
    },
    forRequest: (requestId) =>
      bodies<ApprovalRecord>(g, 'SELECT body FROM approvals WHERE request_id = $1 ORDER BY created_at, rn', [
        requestId,
      ]),
    all: () => pagedBodies<ApprovalRecord>(g, 'approvals'),
  };
}

export function runArea(g: PgGate): RunArea {
  return {
    insert: async (r) => {
      await g
        .conn()
        .write('INSERT INTO runs (id, request_id, status, started_at, body) VALUES ($1, $2, $3, $4, $5)', [
          r.id,
          r.requestId,
          r.status,
          r.startedAt,
          JSON.stringify(r),
        ]);
    },
    get: (id) => one<RunRecord>(g, 'SELECT body FROM runs WHERE id = $1', id),
    update: (id, patch) =>
      patchBody<RunRecord>(g, 'runs', 'id', id, patch, () => new Error(`run ${id} not found`), {
        status: (next) => next.status,
      }),
    forRequest: (requestId) =>
      bodies<RunRecord>(g, 'SELECT body FROM runs WHERE request_id = $1 ORDER BY started_at, rn', [
        requestId,
      ]),
    list: (filter = {}) =>
      bodies<RunRecord>(
        g,
        'SELECT body FROM runs WHERE ($1::text IS NULL OR status = $1) ORDER BY started_at, rn',
        [filter.status ?? null],
      ),
    all: () => pagedBodies<RunRecord>(g, 'runs'),
    upsertStep: async (s) => {
      await g.conn().write(
        `INSERT INTO run_steps (run_id, step_id, idx, body) VALUES ($1, $2, $3, $4)
         ON CONFLICT (run_id, step_id) DO UPDATE SET idx = excluded.idx, body = excluded.body`,
        [s.runId, s.stepId, s.index, JSON.stringify(s)],
      );
    },
    steps: (runId) =>
      bodies<StepRecord>(g, 'SELECT body FROM run_steps WHERE run_id = $1 ORDER BY idx, step_id', [runId]),
  };
}

export function lineageArea(g: PgGate): LineageArea {
  return {
    insert: async (l) => {
      await g
        .conn()
        .write('INSERT INTO lineage (id, ref, created_at, body) VALUES ($1, $2, $3, $4)', [
          l.id,
          l.ref,
          l.createdAt,
          JSON.stringify(l),
        ]);
    },
    forRef: (ref) => bodies<LineageRecord>(g, 'SELECT body FROM lineage WHERE ref = $1 ORDER BY rn', [ref]),
    all: () => pagedBodies<LineageRecord>(g, 'lineage'),
  };
}
