/**
 * Issue 14's store comparison: the same work into the embedded SQLite file and into PostgreSQL on
 * this machine, printed as a ratio (no goal: the shared store trades speed for several writers).
 * - audit appends per second, each in its own write transaction as the engine makes them (a
 *   run step, a decision), so every append pays a commit (SQLite: fsync; PostgreSQL: WAL flush
 *   plus the write lock and the chain-head row lock);
 * - a 10k-identity scan (snapshots, findings, audit) over a quota-fake AWS with 0-1 ms latency, so
 *   the store, not the provider, is what the scan waits for.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AuditLog } from '../src/audit/log.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { Store } from '../src/store/store.js';

export interface AppendsResult {
  backend: 'sqlite' | 'postgres';
  appends: number;
  seconds: number;
  perSecond: number;
}

const ADMIN_URL =
  process.env.NHI_BENCH_DATABASE_URL ??
  process.env.NHI_TEST_DATABASE_URL ??
  'postgres://nhi@127.0.0.1:55432/postgres';

/** Whether the PostgreSQL the comparison uses answers (loopback only, like every test server). */
export async function benchDatabaseAnswers(): Promise<boolean> {
  if (!['127.0.0.1', 'localhost'].includes(new URL(ADMIN_URL).hostname)) return false;
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A new database for one measurement, and how to drop it. */
export async function benchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `nhi_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function appendsChild(args: {
  backend: 'sqlite' | 'postgres';
  n: number;
  url?: string;
}): Promise<AppendsResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-bench-store-'));
  const store: Store = args.url ? await openPostgresStore(args.url) : openSqliteStore(join(dir, 'state.db'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const log = new AuditLog({ privateKey, publicKey });
  const t0 = performance.now();
  for (let i = 0; i < args.n; i++) {
    await store.transaction((tx) =>
      log.record(tx.audit, {
        type: 'run.step',
        actor: 'bob',
        subject: `aws-bench:secret:prod/service-${i % 100}`,
        data: { runId: `run_${i}`, step: 'revoke', status: 'completed' },
      }),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { backend: args.backend, appends: args.n, seconds, perSecond: args.n / seconds };
}
