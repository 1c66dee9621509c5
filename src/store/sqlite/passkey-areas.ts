import { NotFoundError } from '../../lib/errors.js';
import type { PasskeyRecord } from '../passkey-types.js';
import type { PasskeyArea } from '../store.js';
import { json, type SqliteGate } from './database.js';

interface BodyRow {
  body: string;
}

export function passkeyArea(g: SqliteGate): PasskeyArea {
  const db = g.statements;
  const get = (id: string) => {
    const row = db.prepare('SELECT body FROM passkeys WHERE credential_id = ?').get(id) as
      | BodyRow
      | undefined;
    return row && json<PasskeyRecord>(row.body);
  };
  return {
    insert: (p) =>
      g.exclusive(() => {
        db.prepare(
          'INSERT INTO passkeys (credential_id, principal, created_at, body) VALUES (?, ?, ?, ?)',
        ).run(p.credentialId, p.principal, p.createdAt, JSON.stringify(p));
      }),
    get: (id) => g.exclusive(() => get(id)),
    update: (id, patch) =>
      g.exclusive(() => {
        const current = get(id);
        if (!current) throw new NotFoundError(`no passkey ${id}`);
        const next = { ...current, ...patch };
        db.prepare('UPDATE passkeys SET body = ? WHERE credential_id = ?').run(JSON.stringify(next), id);
      }),
    forPrincipal: (principal) =>
      g.exclusive(() =>
        (
          db
            .prepare('SELECT body FROM passkeys WHERE principal = ? ORDER BY created_at, rowid')
            .all(principal) as BodyRow[]
        ).map((r) => json<PasskeyRecord>(r.body)),
      ),
    list: () =>
      g.exclusive(() =>
        (db.prepare('SELECT body FROM passkeys ORDER BY created_at, rowid').all() as BodyRow[]).map((r) =>
          json<PasskeyRecord>(r.body),
        ),
      ),
  };
}
