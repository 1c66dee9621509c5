import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteGate } from '../../src/store/sqlite/database.js';
import { LATEST_SCHEMA_VERSION, openSqliteStore } from '../../src/store/sqlite/index.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { testCliMain } from '../servers/test-build.js';
import { describeStoreContract, request } from './contract.js';

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'nhi-store-')), 'state.db');

describeStoreContract('sqlite (temp file)', async () => openSqliteStore(tempDb()));

describe('SQLite store', () => {
  it('processes opening one new state file at the same moment all succeed and migrate it once', async () => {
    const path = tempDb();
    // The built store module, as each `nhi` process (several `nhi serve` on one host) loads it.
    const storeModule = join(testCliMain(), '..', '..', '..', 'src', 'store', 'sqlite', 'index.js');
    // Each process loads the module first, then spins until the same instant: the opens overlap.
    const at = Date.now() + 1_500;
    const script = `const m = await import(${JSON.stringify(storeModule)}); while (Date.now() < ${at}); await m.openSqliteStore(process.argv[1]).close();`;
    const opens = Array.from(
      { length: 6 },
      () =>
        new Promise<string>((resolve) =>
          execFile(process.execPath, ['--input-type=module', '-e', script, path], (error, _out, stderr) =>
            resolve(error ? `exit ${error.code}: ${stderr}` : 'ok'),
          ),
        ),
    );
    expect(await Promise.all(opens)).toEqual(Array(6).fill('ok'));
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    db.close();
  });

  it('leaves the database file in WAL mode (journal mode persists in the file)', async () => {
    const path = tempDb();
    const store = openSqliteStore(path);
    await store.requests.insert(request('req-1'));
    const other = new Database(path, { readonly: true });
    try {
      expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      other.close();
      await store.close();
    }
  });

  it('sets WAL and synchronous=FULL on the connection the store writes through', () => {
    // synchronous is per connection, so read it on the connection openSqliteStore builds (SqliteGate).
    const gate = new SqliteGate(tempDb());
    try {
      expect(gate.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(gate.db.pragma('synchronous', { simple: true })).toBe(2); // 2 = FULL
      expect(gate.db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      gate.db.close();
    }
  });

  it('a snapshot does not see, nor block, what another connection commits meanwhile', async () => {
    const path = tempDb();
    const store = openSqliteStore(path);
    await store.requests.insert(request('req-1'));
    const other = new Database(path);
    try {
      const seen = await store.snapshot(async (tx) => {
        const before = (await tx.requests.list()).map((r) => r.id);
        // Another process files a request while the snapshot is open: WAL lets it commit.
        other
          .prepare('INSERT INTO requests (id, ref, status, created_at, body) VALUES (?, ?, ?, ?, ?)')
          .run('req-2', 'a:kv:x', 'pending', '2026-01-02T00:00:00.000Z', JSON.stringify(request('req-2')));
        const after = [];
        for await (const r of tx.requests.all()) after.push(r.id);
        return { before, after };
      });
      expect(seen).toEqual({ before: ['req-1'], after: ['req-1'] });
      expect((await store.requests.list()).map((r) => r.id).sort()).toEqual(['req-1', 'req-2']);
    } finally {
      other.close();
      await store.close();
    }
  });

  it('runs every migration on open and reopening is idempotent', async () => {
    const path = tempDb();
    const first = openSqliteStore(path);
    expect(await first.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.at(-1)?.version);
    await first.requests.insert(request('req-1'));
    await first.close();
    const second = openSqliteStore(path);
    expect(await second.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect(await second.requests.get('req-1')).toEqual(request('req-1'));
    await second.close();
    const third = openSqliteStore(path);
    expect(await third.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    await third.close();
  });

  it('refuses a database whose schema is newer than this nhi', async () => {
    const path = tempDb();
    await openSqliteStore(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openSqliteStore(path)).toThrow(/newer than this nhi/);
  });

  it('creates the parent directory of the database file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nhi-store-')), 'nested', 'deeper', 'state.db');
    const store = openSqliteStore(path);
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    await store.close();
  });
});
