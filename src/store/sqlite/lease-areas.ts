import type { LeaseArea } from '../store.js';
import type { LeaseRecord } from '../types.js';
import type { SqliteGate } from './database.js';

export function leaseArea(g: SqliteGate): LeaseArea {
  const db = g.statements;
  return {
    get: (name) =>
      g.exclusive(() => {
        const row = db.prepare('SELECT body FROM leases WHERE name = ?').get(name) as
          | { body: string }
          | undefined;
        return row && (JSON.parse(row.body) as LeaseRecord);
      }),
    put: (lease) =>
      g.exclusive(() => {
        db.prepare(
          'INSERT INTO leases (name, owner, body) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, body = excluded.body',
        ).run(lease.name, lease.owner, JSON.stringify(lease));
      }),
    release: (name, owner) =>
      g.exclusive(() => {
        db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner);
      }),
  };
}
