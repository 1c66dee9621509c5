import { NotFoundError } from '../../lib/errors.js';
import type { PasskeyRecord } from '../passkey-types.js';
import type { PasskeyArea } from '../store.js';
import { json, type PgGate, patchBody } from './database.js';

async function bodies(g: PgGate, sql: string, params: readonly unknown[] = []): Promise<PasskeyRecord[]> {
  return (await g.conn().rows<{ body: string }>(sql, params)).map((r) => json<PasskeyRecord>(r.body));
}

export function passkeyArea(g: PgGate): PasskeyArea {
  return {
    insert: async (p) => {
      await g
        .conn()
        .write('INSERT INTO passkeys (credential_id, principal, created_at, body) VALUES ($1, $2, $3, $4)', [
          p.credentialId,
          p.principal,
          p.createdAt,
          JSON.stringify(p),
        ]);
    },
    get: async (id) => (await bodies(g, 'SELECT body FROM passkeys WHERE credential_id = $1', [id]))[0],
    update: (id, patch) =>
      patchBody<PasskeyRecord>(
        g,
        'passkeys',
        'credential_id',
        id,
        patch,
        () => new NotFoundError(`no passkey ${id}`),
      ),
    forPrincipal: (principal) =>
      bodies(g, 'SELECT body FROM passkeys WHERE principal = $1 ORDER BY created_at, rn', [principal]),
    list: () => bodies(g, 'SELECT body FROM passkeys ORDER BY created_at, rn'),
  };
}
