import { NotFoundError } from '../../lib/errors.js';
import type { IncidentRecord } from '../incident-types.js';
import type { IncidentArea } from '../store.js';
import { json, type PgGate, patchBody } from './database.js';

async function bodies(g: PgGate, sql: string, params: readonly unknown[] = []): Promise<IncidentRecord[]> {
  return (await g.conn().rows<{ body: string }>(sql, params)).map((r) => json<IncidentRecord>(r.body));
}

export function incidentArea(g: PgGate): IncidentArea {
  return {
    insert: async (i) => {
      await g
        .conn()
        .write('INSERT INTO incidents (id, created_at, body) VALUES ($1, $2, $3)', [
          i.id,
          i.createdAt,
          JSON.stringify(i),
        ]);
    },
    get: async (id) => (await bodies(g, 'SELECT body FROM incidents WHERE id = $1', [id]))[0],
    update: (id, patch) =>
      patchBody<IncidentRecord>(
        g,
        'incidents',
        'id',
        id,
        patch,
        () => new NotFoundError(`no incident ${id}`),
      ),
    list: () => bodies(g, 'SELECT body FROM incidents ORDER BY created_at, rn'),
  };
}
