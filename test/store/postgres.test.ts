/**
 * The PostgreSQL store against the local test server (test/servers/servers.sh up postgres):
 * every test gets a database of its own, created through the admin URL and dropped at the end.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { PolicyError } from '../../src/lib/errors.js';
import { takeRunLease } from '../../src/runbook/leases.js';
import { LATEST_SCHEMA_VERSION, migratePostgres, openPostgresStore } from '../../src/store/postgres/index.js';
import { MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { FindingStreamFilter, Store } from '../../src/store/store.js';
import type { FindingRecord } from '../../src/store/types.js';
import { storeCannotWrite } from '../../src/store/write-failure.js';
import { describeStoreContract, request } from './contract.js';
import { freshDatabase } from './pg-fixture.js';

/** A plain connection to a test database, as another process would have. */
async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describeStoreContract('postgres', async () => openPostgresStore(await freshDatabase(), { poolSize: 10 }));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('PostgreSQL store', () => {
  it('keeps one linear audit chain under concurrent writers in separate pools (separate processes)', async () => {
    const url = await freshDatabase();
    const POOLS = 5;
    const WRITERS_PER_POOL = 3;
    const APPENDS_PER_WRITER = 16; // 5 × 3 × 16 = 240 appends
    const keys = generateKeyPairSync('ed25519');
    const stores = await Promise.all(
      Array.from({ length: POOLS }, () => openPostgresStore(url, { poolSize: WRITERS_PER_POOL })),
    );
    try {
      await Promise.all(
        stores.flatMap((store, p) => {
          // Each "process" has its own AuditLog, as each nhi instance would, over the same key.
          const log = new AuditLog(keys, { checkpointEvery: 7 });
          return Array.from({ length: WRITERS_PER_POOL }, async (_, w) => {
            for (let i = 0; i < APPENDS_PER_WRITER; i++) {
              await store.transaction(async (tx) => {
                await log.record(tx.audit, { type: 'race', actor: `p${p}w${w}`, subject: `s${i}` });
                // Yield inside the transaction, so unserialised writers would interleave here.
                await new Promise((r) => setTimeout(r, Math.random() * 2));
              });
            }
          });
        }),
      );
      const total = POOLS * WRITERS_PER_POOL * APPENDS_PER_WRITER;
      const reader = stores[0] as Store;
      const entries = await collect(reader.audit.entries());
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      for (let i = 1; i < entries.length; i++) expect(entries[i]?.prevHash).toBe(entries[i - 1]?.hash);
      // Writers from different pools really did interleave.
      const actors = new Set(entries.slice(0, 40).map((e) => e.actor.split('w')[0]));
      expect(actors.size).toBeGreaterThan(1);
      const verdict = await verifyAudit(reader.audit, keys.publicKey, {}, { checkpointEvery: 7 });
      expect(verdict).toMatchObject({ ok: true, entries: total });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('refuses an append that does not extend the chain head (a writer that read a stale head)', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    try {
      const keys = generateKeyPairSync('ed25519');
      const log = new AuditLog(keys);
      const first = await log.record(a.audit, { type: 't', actor: 'a', subject: 's' });
      // Outside a transaction, both read head seq 1 and both try to append seq 2.
      const stale = await b.audit.head();
      expect(stale).toEqual(first);
      const winner = await log.record(a.audit, { type: 't', actor: 'a', subject: 'won' });
      const { nextEntry } = await import('../../src/audit/chain.js');
      const loser = nextEntry(stale, { type: 't', actor: 'b', subject: 'lost' }, new Date().toISOString());
      await expect(b.audit.append(loser)).rejects.toThrow(/does not extend the chain head/);
      expect(await b.audit.head()).toEqual(winner);
      expect((await verifyAudit(b.audit, keys.publicKey)).ok).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('two concurrent opens of a fresh database both succeed and migrate it once', async () => {
    const url = await freshDatabase();
    const stores = await Promise.all([
      openPostgresStore(url),
      openPostgresStore(url),
      openPostgresStore(url),
    ]);
    try {
      for (const s of stores) expect(await s.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      const rows = await withClient(
        url,
        async (c) => (await c.query('SELECT version FROM schema_migrations')).rows,
      );
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      await stores[0]?.requests.insert(request('req-1'));
      expect(await stores[1]?.requests.get('req-1')).toEqual(request('req-1'));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    // migratePostgres (`nhi db migrate`): of two racing calls one applies everything, the other nothing.
    const other = await freshDatabase();
    const results = await Promise.all([migratePostgres(other), migratePostgres(other)]);
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, MIGRATIONS.length]);
    for (const r of results) expect(r.to).toBe(LATEST_SCHEMA_VERSION);
    expect(await migratePostgres(other)).toEqual({
      from: LATEST_SCHEMA_VERSION,
      to: LATEST_SCHEMA_VERSION,
      applied: [],
    });
  });

  it('refuses a database whose schema is newer than this nhi', async () => {
    const url = await freshDatabase();
    await migratePostgres(url);
    await withClient(url, (c) =>
      c.query("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from-the-future')", [
        LATEST_SCHEMA_VERSION + 1,
      ]),
    );
    await expect(openPostgresStore(url)).rejects.toThrow(/newer than this nhi/);
  });

  it('reports an unreachable server as a store error without the URL', async () => {
    const url = 'postgres://nhi:sekret@127.0.0.1:1/nowhere';
    const error = await openPostgresStore(url).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'store' });
    expect(String((error as Error).message)).not.toContain('sekret');
  });

  it('a snapshot does not see what another process commits meanwhile, nor block it', async () => {
    const url = await freshDatabase();
    const store = await openPostgresStore(url);
    try {
      await store.requests.insert(request('req-1'));
      const seen = await store.snapshot(async (tx) => {
        const before = (await tx.requests.list()).map((r) => r.id);
        await withClient(url, (c) =>
          c.query('INSERT INTO requests (id, ref, status, created_at, body) VALUES ($1, $2, $3, $4, $5)', [
            'req-2',
            'a:kv:x',
            'pending',
            '2026-01-02T00:00:00.000Z',
            JSON.stringify(request('req-2')),
          ]),
        );
        return { before, after: (await collect(tx.requests.all())).map((r) => r.id) };
      });
      expect(seen).toEqual({ before: ['req-1'], after: ['req-1'] });
      expect((await store.requests.list()).map((r) => r.id).sort()).toEqual(['req-1', 'req-2']);
    } finally {
      await store.close();
    }
  });

  it('a lease is taken by exactly one of two processes racing for it', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    try {
      const now = new Date('2026-01-02T03:04:05.000Z');
      const holder = (host: string) => ({ id: `${host}:1:x`, host, pid: 1 });
      for (let round = 0; round < 10; round++) {
        const runId = `run_${round}`;
        const results = await Promise.allSettled([
          a.transaction((tx) => takeRunLease(tx, holder('host-a'), runId, now)),
          b.transaction((tx) => takeRunLease(tx, holder('host-b'), runId, now)),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(refused.reason).toBeInstanceOf(PolicyError);
        const lease = await a.leases.get(`run:${runId}`);
        expect(lease?.token).toBe(1);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('does not report a commit when a statement inside the transaction failed and was caught', async () => {
    const url = await freshDatabase();
    const store = await openPostgresStore(url);
    try {
      await expect(
        store.transaction(async (tx) => {
          await tx.requests.insert(request('req-1'));
          await tx.requests.insert(request('req-1')).catch(() => undefined); // duplicate key
        }),
      ).rejects.toThrow(/a statement in it failed/);
      expect(await store.requests.get('req-1')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('a database that turned read-only (a replica after failover) is a store write failure, as a full disk is', async () => {
    const url = await freshDatabase();
    const store = await openPostgresStore(url, { poolSize: 2 });
    try {
      await withClient(url, (c) =>
        c.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET default_transaction_read_only = on`),
      );
      // New sessions get the setting: drop the pooled ones.
      await withClient(url, (c) =>
        c.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        ),
      );
      const error = await store.requests.insert(request('req-ro')).then(
        () => undefined,
        async (first: unknown) =>
          // The first call may meet a terminated pooled connection; the next one gets a new session.
          storeCannotWrite(first) ? first : store.requests.insert(request('req-ro')).catch((e: unknown) => e),
      );
      expect(storeCannotWrite(error), String(error)).toBe(true);
      expect((error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code).toBe(
        '25006',
      );
      expect(storeCannotWrite(new Error('syntax error'))).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('verify checks the chain in ranges with the verdict of the entry-by-entry check', async () => {
    // Issue 17: this connection reads each range aggregated (string_agg), workers hash them.
    const url = await freshDatabase();
    const store = await openPostgresStore(url);
    try {
      const keys = generateKeyPairSync('ed25519');
      const log = new AuditLog(keys, { checkpointEvery: 4 });
      for (let i = 1; i <= 60; i++)
        await store.transaction((tx) =>
          log.record(tx.audit, {
            type: i === 30 ? 'odd\ntype' : 'finding.opened',
            actor: 'scheduler',
            subject: `ref-${i}`,
            data: { n: i, q: 'a"b\\c\n', é: [1.5, null] },
          }),
        );
      const { hashedRanges: _, ...entryByEntry } = store.audit;
      const verify = async () => {
        const reference = await verifyAudit(
          entryByEntry,
          keys.publicKey,
          {},
          { checkpointEvery: 4, workers: 0 },
        );
        for (const workers of [0, 1])
          expect(
            await verifyAudit(store.audit, keys.publicKey, {}, { checkpointEvery: 4, workers, rangeSize: 3 }),
          ).toEqual(reference);
        return reference;
      };
      expect(await verify()).toMatchObject({ ok: true, entries: 60 });
      const tamper = [
        "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 44",
        'DELETE FROM audit_entries WHERE seq = 37',
        `UPDATE audit_entries SET data = '{"n":9}' WHERE seq = 10`,
        'DELETE FROM audit_entries WHERE seq = 4',
      ];
      for (const statement of tamper) {
        await withClient(url, (c) => c.query(statement));
        expect((await verify()).ok).toBe(false);
      }
      expect((await verify()).firstBad).toEqual({ seq: 4, reason: expect.stringMatching(/sequence gap/) });
    } finally {
      await store.close();
    }
  });

  it('keeps every text column in byte order (COLLATE "C") whatever the database default', async () => {
    const url = await freshDatabase();
    await migratePostgres(url);
    const loose = await withClient(
      url,
      async (c) =>
        (
          await c.query(
            `SELECT table_name, column_name, collation_name FROM information_schema.columns
             WHERE table_schema = 'public' AND data_type = 'text' AND collation_name IS DISTINCT FROM 'C'`,
          )
        ).rows,
    );
    expect(loose).toEqual([]);
    const store = await openPostgresStore(url);
    try {
      for (const ref of ['b:kv:x', 'B:kv:x', 'a:kv:é', 'a:kv:z', 'a:kv:Z'])
        await store.scans.putSnapshot({ ref, scanId: 'scan-1', seenAt: 't', record: { instance: 'i' } });
      expect(await collect(store.scans.refsNotSeenIn('scan-2', ['i']))).toEqual(
        ['b:kv:x', 'B:kv:x', 'a:kv:é', 'a:kv:z', 'a:kv:Z'].sort(),
      );
    } finally {
      await store.close();
    }
  });

  it('findings.iterate streams the same rows in the same order as the SQLite store, for every filter', async () => {
    const pgStore = await openPostgresStore(await freshDatabase());
    const sqlite = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'nhi-store-')), 'state.db'));
    try {
      const instances = ['aws-prod', 'aws-prod-eu', 'Vault', 'vault-prod'];
      const findings: FindingRecord[] = Array.from({ length: 1300 }, (_, i) => ({
        id: `f-${(i * 7919) % 1300}`,
        type: ['dormant', 'orphaned', 'revoked-still-used'][i % 3] as string,
        ref: `${instances[i % 4]}:secret:${['a', 'B', 'é', 'z', '_'][i % 5]}${i % 11}`,
        severity: ['low', 'medium', 'high'][i % 4 === 0 ? 2 : i % 2] as string,
        status: i % 5 === 0 ? 'resolved' : 'open',
        firstSeen: 't',
        lastSeen: 't',
        owners: ['alice'],
        summary: `finding ${i}`,
        evidence: { i },
      }));
      for (const store of [pgStore, sqlite])
        await store.transaction(async (tx) => {
          for (const f of findings) await tx.findings.upsert(f);
        });
      const filters: FindingStreamFilter[] = [
        {},
        { status: 'open' },
        { status: 'open', type: 'dormant' },
        { severity: 'high' },
        { refPrefix: 'aws-prod:' },
        { refPrefix: 'aws-prod' },
        { refPrefix: 'vault-prod:', status: 'open', severity: 'medium', type: 'orphaned' },
        { refPrefix: 'nothing:' },
      ];
      for (const filter of filters) {
        const want = (await collect(sqlite.findings.iterate(filter))).map((f) => f.id);
        expect((await collect(pgStore.findings.iterate(filter))).map((f) => f.id)).toEqual(want);
      }
      expect((await collect(pgStore.findings.iterate())).length).toBe(1300);
      // list() is ordered by (ref, type) only; rows tied on both may come in either order.
      const listed = await pgStore.findings.list({ status: 'open' });
      const key = (f: FindingRecord) => `${f.ref}\u0000${f.type}`;
      for (let i = 1; i < listed.length; i++)
        expect(
          Buffer.compare(
            Buffer.from(key(listed[i - 1] as FindingRecord)),
            Buffer.from(key(listed[i] as FindingRecord)),
          ),
        ).toBeLessThanOrEqual(0);
      expect(listed.map((f) => f.id).sort()).toEqual(
        (await sqlite.findings.list({ status: 'open' })).map((f) => f.id).sort(),
      );
      expect(await pgStore.findings.openIds()).toEqual(await sqlite.findings.openIds());
    } finally {
      await pgStore.close();
      await sqlite.close();
    }
  });
});
