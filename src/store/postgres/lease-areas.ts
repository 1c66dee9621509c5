import type { LeaseArea } from '../store.js';
import type { LeaseRecord } from '../types.js';
import { json, type PgGate } from './database.js';

/**
 * Leases are compared and set by their callers (src/runbook/leases.ts, src/schedule/leader.ts):
 * `get`, a check of expiry against the caller's `now`, then `put`, inside one transaction. Write
 * transactions hold the store's write lock from BEGIN (PgGate.transaction), so that
 * read-check-write is atomic across processes and hosts, as under SQLite's BEGIN IMMEDIATE.
 */
export function leaseArea(g: PgGate): LeaseArea {
  return {
    get: async (name) => {
      const [row] = await g.conn().rows<{ body: string }>('SELECT body FROM leases WHERE name = $1', [name]);
      return row && json<LeaseRecord>(row.body);
    },
    put: async (lease) => {
      await g
        .conn()
        .write(
          'INSERT INTO leases (name, owner, body) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, body = excluded.body',
          [lease.name, lease.owner, JSON.stringify(lease)],
        );
    },
    release: async (name, owner) => {
      await g.conn().write('DELETE FROM leases WHERE name = $1 AND owner = $2', [name, owner]);
    },
  };
}
