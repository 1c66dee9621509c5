import type { DeliveryArea, FindingArea, ScanArea, ScheduleArea } from '../store.js';
import type { DeliveryRecord, FindingRecord, ScanRecord, ScheduleState, SnapshotRecord } from '../types.js';
import { json, type SqliteGate } from './database.js';

type BodyRow = { body: string };
const PAGE = 500;

export function scanArea(g: SqliteGate): ScanArea {
  const db = g.statements;
  const getScan = (id: string) => {
    const row = db.prepare('SELECT body FROM scans WHERE id = ?').get(id) as BodyRow | undefined;
    return row && json<ScanRecord>(row.body);
  };
  const putSnapshotRow = (s: SnapshotRecord) => {
    const instance = String(s.record.instance ?? s.ref.split(':')[0]);
    db.prepare(
      `INSERT INTO snapshots (ref, instance, scan_id, seen_at, record) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (ref) DO UPDATE SET scan_id = excluded.scan_id, seen_at = excluded.seen_at, record = excluded.record`,
    ).run(s.ref, instance, s.scanId, s.seenAt, JSON.stringify(s.record));
  };
  return {
    insertScan: (s) =>
      g.exclusive(() => {
        db.prepare('INSERT INTO scans (id, started_at, body) VALUES (?, ?, ?)').run(
          s.id,
          s.startedAt,
          JSON.stringify(s),
        );
      }),
    updateScan: (id, patch) =>
      g.exclusive(() => {
        const current = getScan(id);
        if (!current) throw new Error(`scan ${id} not found`);
        db.prepare('UPDATE scans SET body = ? WHERE id = ?').run(
          JSON.stringify({ ...current, ...patch }),
          id,
        );
      }),
    getScan: (id) => g.exclusive(() => getScan(id)),
    lastScan: () =>
      g.exclusive(() => {
        const row = db.prepare('SELECT body FROM scans ORDER BY started_at DESC, rowid DESC LIMIT 1').get() as
          | BodyRow
          | undefined;
        return row && json<ScanRecord>(row.body);
      }),
    snapshot: (ref) =>
      g.exclusive(() => {
        const row = db
          .prepare('SELECT ref, scan_id, seen_at, record FROM snapshots WHERE ref = ?')
          .get(ref) as { ref: string; scan_id: string; seen_at: string; record: string } | undefined;
        return row && { ref: row.ref, scanId: row.scan_id, seenAt: row.seen_at, record: json(row.record) };
      }),
    putSnapshot: (s: SnapshotRecord) => g.exclusive(() => putSnapshotRow(s)),
    putSnapshots: (list) => g.exclusive(() => list.forEach(putSnapshotRow)),
    async *refsNotSeenIn(scanId, instances) {
      let after = '';
      for (;;) {
        const rows = await g.exclusive(() => {
          const marks = instances.map(() => '?').join(',');
          return db
            .prepare(
              `SELECT ref FROM snapshots WHERE scan_id <> ? AND instance IN (${marks || "''"}) AND ref > ? ORDER BY ref LIMIT ?`,
            )
            .all(scanId, ...instances, after, PAGE) as { ref: string }[];
        });
        for (const row of rows) yield row.ref;
        if (rows.length < PAGE) return;
        after = (rows.at(-1) as { ref: string }).ref;
      }
    },
  };
}

export function findingArea(g: SqliteGate): FindingArea {
  const db = g.statements;
  const upsertRow = (f: FindingRecord) => {
    db.prepare(
      `INSERT INTO findings (id, type, ref, status, body) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body`,
    ).run(f.id, f.type, f.ref, f.status, JSON.stringify(f));
  };
  return {
    get: (id) =>
      g.exclusive(() => {
        const row = db.prepare('SELECT body FROM findings WHERE id = ?').get(id) as BodyRow | undefined;
        return row && json<FindingRecord>(row.body);
      }),
    getMany: (ids) =>
      g.exclusive(() =>
        (
          db
            .prepare('SELECT body FROM findings WHERE id IN (SELECT value FROM json_each(?))')
            .all(JSON.stringify(ids)) as BodyRow[]
        ).map((row) => json<FindingRecord>(row.body)),
      ),
    upsert: (f) => g.exclusive(() => upsertRow(f)),
    upsertMany: (list) => g.exclusive(() => list.forEach(upsertRow)),
    list: (filter = {}) =>
      g.exclusive(() =>
        (
          db
            .prepare(
              `SELECT body FROM findings WHERE (@type IS NULL OR type = @type) AND (@status IS NULL OR status = @status)
               AND (@ref IS NULL OR ref = @ref) ORDER BY ref, type`,
            )
            .all({
              type: filter.type ?? null,
              status: filter.status ?? null,
              ref: filter.ref ?? null,
            }) as BodyRow[]
        ).map((r) => json<FindingRecord>(r.body)),
      ),
    openIds: () =>
      g.exclusive(() =>
        (
          db.prepare("SELECT id FROM findings WHERE status = 'open' ORDER BY id").all() as { id: string }[]
        ).map((r) => r.id),
      ),
    async *iterate(filter = {}) {
      // Only the filters given go into the SQL, so `status = ?` can use findings_status_ref
      // and each page is an index range seek rather than a sort of the whole table.
      const where = ['(ref, id) > (@afterRef, @afterId)'];
      if (filter.status !== undefined) where.push('status = @status');
      if (filter.type !== undefined) where.push('type = @type');
      if (filter.severity !== undefined) where.push("json_extract(body, '$.severity') = @severity");
      if (filter.refPrefix !== undefined) where.push('substr(ref, 1, length(@prefix)) = @prefix');
      const sql = `SELECT ref, id, body FROM findings WHERE ${where.join(' AND ')} ORDER BY ref, id LIMIT @limit`;
      let after = { ref: '', id: '' };
      for (;;) {
        const rows = await g.exclusive(
          () =>
            db.prepare(sql).all({
              ...(filter.status !== undefined ? { status: filter.status } : {}),
              ...(filter.type !== undefined ? { type: filter.type } : {}),
              ...(filter.severity !== undefined ? { severity: filter.severity } : {}),
              ...(filter.refPrefix !== undefined ? { prefix: filter.refPrefix } : {}),
              afterRef: after.ref,
              afterId: after.id,
              limit: PAGE,
            }) as { ref: string; id: string; body: string }[],
        );
        for (const row of rows) yield json<FindingRecord>(row.body);
        const last = rows.at(-1);
        if (!last || rows.length < PAGE) return;
        after = { ref: last.ref, id: last.id };
      }
    },
  };
}

export function deliveryArea(g: SqliteGate): DeliveryArea {
  const db = g.statements;
  const get = (id: string) => {
    const row = db.prepare('SELECT body FROM deliveries WHERE id = ?').get(id) as BodyRow | undefined;
    return row && json<DeliveryRecord>(row.body);
  };
  return {
    insert: (d) =>
      g.exclusive(() => {
        db.prepare(
          'INSERT INTO deliveries (id, status, subject, created_at, body) VALUES (?, ?, ?, ?, ?)',
        ).run(d.id, d.status, d.subject, d.createdAt, JSON.stringify(d));
      }),
    update: (id, patch) =>
      g.exclusive(() => {
        const current = get(id);
        if (!current) throw new Error(`delivery ${id} not found`);
        const next = { ...current, ...patch };
        db.prepare('UPDATE deliveries SET status = ?, body = ? WHERE id = ?').run(
          next.status,
          JSON.stringify(next),
          id,
        );
      }),
    list: (filter = {}) =>
      g.exclusive(() =>
        (
          db
            .prepare(
              `SELECT body FROM deliveries WHERE (@status IS NULL OR status = @status)
               AND (@subject IS NULL OR subject = @subject) ORDER BY created_at, rowid`,
            )
            .all({ status: filter.status ?? null, subject: filter.subject ?? null }) as BodyRow[]
        ).map((r) => json<DeliveryRecord>(r.body)),
      ),
  };
}

export function scheduleArea(g: SqliteGate): ScheduleArea {
  const db = g.statements;
  return {
    get: (name) =>
      g.exclusive(() => {
        const row = db.prepare('SELECT body FROM schedules WHERE name = ?').get(name) as BodyRow | undefined;
        return row && json<ScheduleState>(row.body);
      }),
    put: (s) =>
      g.exclusive(() => {
        db.prepare(
          'INSERT INTO schedules (name, body) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body',
        ).run(s.name, JSON.stringify(s));
      }),
  };
}
