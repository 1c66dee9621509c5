/**
 * Databases on the local PostgreSQL test server (test/servers/servers.sh up postgres): each
 * caller gets an empty database of its own, created through the admin URL, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';

export const ADMIN_URL = process.env.NHI_TEST_DATABASE_URL ?? 'postgres://nhi@127.0.0.1:55432/postgres';
if (new URL(ADMIN_URL).hostname !== '127.0.0.1') {
  throw new Error(`NHI_TEST_DATABASE_URL must point at 127.0.0.1, not ${new URL(ADMIN_URL).hostname}`);
}

let admin: pg.Pool | undefined;
const created: string[] = [];

/** A new empty database on the test server; its URL (with `password`, ignored by trust auth). */
export async function freshDatabase(opts: { password?: string } = {}): Promise<string> {
  if (!admin) {
    admin = new pg.Pool({ connectionString: ADMIN_URL, max: 2 });
    const pool = admin;
    afterAll(async () => {
      for (const name of created.splice(0)) await pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await pool.end();
      admin = undefined;
    });
  }
  const name = `nhi_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  created.push(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  if (opts.password) url.password = opts.password;
  return url.toString();
}
