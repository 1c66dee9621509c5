import pg from 'pg';
import type { Store } from '../store.js';
import { cannotConnect, connect, PgGate, type PostgresOpenOptions } from './database.js';
import { approvalArea, auditArea, lineageArea, requestArea, runArea } from './engine-areas.js';
import { incidentArea } from './incident-areas.js';
import { leaseArea } from './lease-areas.js';
import { type MigrationResult, migrate } from './migrations.js';
import { passkeyArea } from './passkey-areas.js';
import { deliveryArea, findingArea, scanArea, scheduleArea } from './scan-areas.js';

export type { PostgresOpenOptions } from './database.js';
export { LATEST_SCHEMA_VERSION, type MigrationResult } from './migrations.js';

/**
 * The shared store: PostgreSQL through a connection pool, for several nhi instances on one
 * state (docs/adr/061-shared-service.md). Migrated on open (under an advisory lock, so
 * instances starting together apply each migration once).
 */
export async function openPostgresStore(url: string, opts: PostgresOpenOptions = {}): Promise<Store> {
  const gate = new PgGate(url, opts);
  try {
    const client = await connect(gate.pool);
    try {
      await migrate(client);
    } finally {
      client.release();
    }
  } catch (error) {
    await gate.close().catch(() => undefined);
    throw error;
  }
  const areas = {
    audit: auditArea(gate),
    requests: requestArea(gate),
    approvals: approvalArea(gate),
    runs: runArea(gate),
    lineage: lineageArea(gate),
    scans: scanArea(gate),
    findings: findingArea(gate),
    deliveries: deliveryArea(gate),
    schedules: scheduleArea(gate),
    leases: leaseArea(gate),
    passkeys: passkeyArea(gate),
    incidents: incidentArea(gate),
  };
  let closed: Promise<void> | undefined;
  return {
    ...areas,
    // The areas find the transaction's client from the async context (see PgGate).
    transaction: (fn) => gate.transaction(() => fn(areas)),
    snapshot: (fn) => gate.snapshot(() => fn(areas)),
    schemaVersion: async () => {
      const [row] = await gate
        .conn()
        .rows<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
      return row?.v ?? 0;
    },
    close: () => {
      closed ??= gate.close();
      return closed;
    },
  };
}

/** Migrate the database at `url` to this nhi's schema and disconnect (`nhi db migrate`). */
export function migratePostgres(
  url: string,
  opts: Pick<PostgresOpenOptions, 'ssl'> = {},
): Promise<MigrationResult> {
  return withClient(url, opts, migrate);
}

/** The schema version the database at `url` is at (0: never migrated), changing nothing. */
export function postgresSchemaVersion(
  url: string,
  opts: Pick<PostgresOpenOptions, 'ssl'> = {},
): Promise<number> {
  return withClient(url, opts, async (client) => {
    // The table is named in the query text, so it is looked up first (a fresh database has none).
    const exists = await client.query<{ t: string | null }>("SELECT to_regclass('schema_migrations') AS t");
    if (!exists.rows[0]?.t) return 0;
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM schema_migrations',
    );
    return rows[0]?.v ?? 0;
  });
}

async function withClient<T>(
  url: string,
  opts: Pick<PostgresOpenOptions, 'ssl'>,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    ...(opts.ssl !== undefined ? { ssl: opts.ssl } : {}),
    application_name: 'nhi',
  });
  try {
    await client.connect();
  } catch (cause) {
    await client.end().catch(() => undefined);
    throw cannotConnect(cause);
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
