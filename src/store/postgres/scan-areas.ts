import type { DeliveryArea, FindingArea, ScanArea, ScheduleArea } from '../store.js';
import type { DeliveryRecord, FindingRecord, ScanRecord, ScheduleState, SnapshotRecord } from '../types.js';
import { json, type PgGate, paged, patchBody } from './database.js';

type BodyRow = { body: string };

async function bodies<T>(g: PgGate, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  return (await g.conn().rows<BodyRow>(sql, params)).map((r) => json<T>(r.body));
}

/**
 * The last of each key, in order: one INSERT ... ON CONFLICT may not touch a row twice, and a
 * later write of the same key must win, as with one statement per row.
 */
function lastByKey<T>(rows: readonly T[], key: (row: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const row of rows) {
    byKey.delete(key(row));
    byKey.set(key(row), row);
  }
  return [...byKey.values()];
}

/** Columns as arrays for `unnest`: a batch of any size is one statement and one round trip. */
const columns = <T>(rows: readonly T[], ...fields: ((row: T) => string)[]): string[][] =>
  fields.map((field) => rows.map(field));

export function scanArea(g: PgGate): ScanArea {
  const putSnapshots = async (list: readonly SnapshotRecord[]) => {
    if (list.length === 0) return;
    const rows = lastByKey(list, (s) => s.ref);
    await g.conn().write(
      `INSERT INTO snapshots (ref, instance, scan_id, seen_at, record)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
       ON CONFLICT (ref) DO UPDATE SET scan_id = excluded.scan_id, seen_at = excluded.seen_at, record = excluded.record`,
      columns(
        rows,
        (s) => s.ref,
        (s) => String(s.record.instance ?? s.ref.split(':')[0]),
        (s) => s.scanId,
        (s) => s.seenAt,
        (s) => JSON.stringify(s.record),
      ),
    );
  };
  return {
    insertScan: async (s) => {
      await g
        .conn()
        .write('INSERT INTO scans (id, started_at, body) VALUES ($1, $2, $3)', [
          s.id,
          s.startedAt,
          JSON.stringify(s),
        ]);
    },
    updateScan: (id, patch) =>
      patchBody<ScanRecord>(g, 'scans', 'id', id, patch, () => new Error(`scan ${id} not found`)),
    getScan: async (id) => (await bodies<ScanRecord>(g, 'SELECT body FROM scans WHERE id = $1', [id]))[0],
    lastScan: async () =>
      (await bodies<ScanRecord>(g, 'SELECT body FROM scans ORDER BY started_at DESC, rn DESC LIMIT 1'))[0],
    snapshot: async (ref) => {
      const [row] = await g
        .conn()
        .rows<{ ref: string; scan_id: string; seen_at: string; record: string }>(
          'SELECT ref, scan_id, seen_at, record FROM snapshots WHERE ref = $1',
          [ref],
        );
      return row && { ref: row.ref, scanId: row.scan_id, seenAt: row.seen_at, record: json(row.record) };
    },
    putSnapshot: (s: SnapshotRecord) => putSnapshots([s]),
    putSnapshots,
    async *refsNotSeenIn(scanId, instances) {
      if (instances.length === 0) return;
      // One SQL text whatever the number of instances (an array parameter, not an IN list).
      const rows = paged<{ ref: string }>(
        g,
        `SELECT ref FROM snapshots WHERE scan_id <> $1 AND instance = ANY($2::text[]) AND ref > $3
         ORDER BY ref LIMIT $4`,
        (last) => [scanId, [...instances], last ? last.ref : ''],
      );
      for await (const row of rows) yield row.ref;
    },
  };
}

export function findingArea(g: PgGate): FindingArea {
  const upsertMany = async (list: readonly FindingRecord[]) => {
    if (list.length === 0) return;
    await g.conn().write(
      `INSERT INTO findings (id, type, ref, status, severity, body)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
       ON CONFLICT (id) DO UPDATE SET type = excluded.type, ref = excluded.ref, status = excluded.status,
         severity = excluded.severity, body = excluded.body`,
      columns(
        lastByKey(list, (f) => f.id),
        (f) => f.id,
        (f) => f.type,
        (f) => f.ref,
        (f) => f.status,
        (f) => f.severity,
        (f) => JSON.stringify(f),
      ),
    );
  };
  return {
    get: async (id) => (await bodies<FindingRecord>(g, 'SELECT body FROM findings WHERE id = $1', [id]))[0],
    getMany: (ids) => bodies<FindingRecord>(g, 'SELECT body FROM findings WHERE id = ANY($1::text[])', [ids]),
    upsert: (f) => upsertMany([f]),
    upsertMany,
    list: (filter = {}) =>
      bodies<FindingRecord>(
        g,
        `SELECT body FROM findings WHERE ($1::text IS NULL OR type = $1) AND ($2::text IS NULL OR status = $2)
         AND ($3::text IS NULL OR ref = $3) ORDER BY ref, type, id`,
        [filter.type ?? null, filter.status ?? null, filter.ref ?? null],
      ),
    openIds: async () =>
      (await g.conn().rows<{ id: string }>("SELECT id FROM findings WHERE status = 'open' ORDER BY id")).map(
        (r) => r.id,
      ),
    async *iterate(filter = {}) {
      // Only the filters given go into the SQL, so `status = $n` can use findings_status_ref
      // and each page is an index range seek rather than a sort of the whole table.
      const where = ['(ref, id) > ($1, $2)'];
      const values: unknown[] = [];
      const add = (clause: (n: string) => string, value: unknown) => {
        values.push(value);
        where.push(clause(`$${values.length + 2}`));
      };
      if (filter.status !== undefined) add((n) => `status = ${n}`, filter.status);
      if (filter.type !== undefined) add((n) => `type = ${n}`, filter.type);
      if (filter.severity !== undefined) add((n) => `severity = ${n}`, filter.severity);
      if (filter.refPrefix !== undefined)
        add((n) => `ref >= ${n}::text AND starts_with(ref, ${n}::text)`, filter.refPrefix);
      const sql = `SELECT ref, id, body FROM findings WHERE ${where.join(' AND ')} ORDER BY ref, id LIMIT $${values.length + 3}`;
      const rows = paged<{ ref: string; id: string; body: string }>(g, sql, (last) => [
        last?.ref ?? '',
        last?.id ?? '',
        ...values,
      ]);
      for await (const row of rows) yield json<FindingRecord>(row.body);
    },
  };
}

export function deliveryArea(g: PgGate): DeliveryArea {
  return {
    insert: async (d) => {
      await g
        .conn()
        .write('INSERT INTO deliveries (id, status, subject, created_at, body) VALUES ($1, $2, $3, $4, $5)', [
          d.id,
          d.status,
          d.subject,
          d.createdAt,
          JSON.stringify(d),
        ]);
    },
    update: (id, patch) =>
      patchBody<DeliveryRecord>(
        g,
        'deliveries',
        'id',
        id,
        patch,
        () => new Error(`delivery ${id} not found`),
        {
          status: (next) => next.status,
          subject: (next) => next.subject,
        },
      ),
    list: (filter = {}) =>
      bodies<DeliveryRecord>(
        g,
        `SELECT body FROM deliveries WHERE ($1::text IS NULL OR status = $1)
         AND ($2::text IS NULL OR subject = $2) ORDER BY created_at, rn`,
        [filter.status ?? null, filter.subject ?? null],
      ),
  };
}

export function scheduleArea(g: PgGate): ScheduleArea {
  return {
    get: async (name) =>
      (await bodies<ScheduleState>(g, 'SELECT body FROM schedules WHERE name = $1', [name]))[0],
    put: async (s) => {
      await g
        .conn()
        .write(
          'INSERT INTO schedules (name, body) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET body = excluded.body',
          [s.name, JSON.stringify(s)],
        );
    },
  };
}
