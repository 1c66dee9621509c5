import { NotFoundError } from '../../lib/errors.js';
import type { IncidentRecord } from '../incident-types.js';
import type { IncidentArea } from '../store.js';
import { json, type SqliteGate } from './database.js';

interface BodyRow {
  body: string;
}

export function incidentArea(g: SqliteGate): IncidentArea {
  const db = g.statements;
  const get = (id: string) => {
    const row = db.prepare('SELECT body FROM incidents WHERE id = ?').get(id) as BodyRow | undefined;
    return row && json<IncidentRecord>(row.body);
  };
  return {
    insert: (i) =>
      g.exclusive(() => {
        db.prepare('INSERT INTO incidents (id, created_at, body) VALUES (?, ?, ?)').run(
          i.id,
          i.createdAt,
          JSON.stringify(i),
        );
      }),
    get: (id) => g.exclusive(() => get(id)),
    update: (id, patch) =>
      g.exclusive(() => {
        const current = get(id);
        if (!current) throw new NotFoundError(`no incident ${id}`);
        db.prepare('UPDATE incidents SET body = ? WHERE id = ?').run(
          JSON.stringify({ ...current, ...patch }),
          id,
        );
      }),
    list: () =>
      g.exclusive(() =>
        (db.prepare('SELECT body FROM incidents ORDER BY created_at, rowid').all() as BodyRow[]).map((r) =>
          json<IncidentRecord>(r.body),
        ),
      ),
  };
}
