/**
 * Versioned schema migrations of the PostgreSQL store, applied in order, all pending ones in
 * one transaction under a transaction-scoped advisory lock, so several instances opening one
 * fresh database at once apply each exactly once. `schema_migrations` records what was applied.
 * Never edit a released migration: add the next one.
 *
 * The shape follows the SQLite schema (src/store/sqlite/migrations.ts): JSON bodies are kept
 * as text, exactly the bytes JSON.stringify produced (jsonb would reorder keys and refuse
 * \u0000), and every text column is COLLATE "C" so ORDER BY and keyset comparisons follow
 * byte order, as SQLite's do, whatever the database's default collation. `rn` identity
 * columns stand in for SQLite's rowid (insertion order).
 */
import type pg from 'pg';
import { NhiError } from '../../lib/errors.js';
import { LOCK_NAMESPACE, MIGRATION_LOCK } from './database.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const T = 'TEXT COLLATE "C" NOT NULL';
const RN = 'rn BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE audit_entries (
        seq BIGINT PRIMARY KEY, ts ${T}, type ${T}, actor ${T}, subject ${T}, data ${T},
        prev_hash ${T}, hash ${T}
      );
      CREATE INDEX audit_entries_type ON audit_entries (type, seq);
      -- The chain head, one row: every append moves it by compare-and-set (seq, hash), so the
      -- log stays one linear chain whoever writes, and a writer locks it (FOR UPDATE) to append.
      CREATE TABLE audit_head (
        id SMALLINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash ${T}
      );
      INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));
      CREATE TABLE audit_checkpoints (
        seq BIGINT PRIMARY KEY, hash ${T}, ts ${T}, key_id ${T}, signature ${T}
      );
      CREATE TABLE audit_witnesses (name TEXT COLLATE "C" PRIMARY KEY, body ${T});
      CREATE TABLE requests (
        ${RN}, id TEXT COLLATE "C" PRIMARY KEY, ref ${T}, status ${T}, created_at ${T}, body ${T}
      );
      CREATE INDEX requests_ref ON requests (ref);
      CREATE INDEX requests_status ON requests (status);
      CREATE INDEX requests_created ON requests (created_at, id);
      CREATE TABLE approvals (
        ${RN}, id TEXT COLLATE "C" PRIMARY KEY, request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id),
        created_at ${T}, body ${T}
      );
      CREATE INDEX approvals_request ON approvals (request_id, created_at, rn);
      CREATE TABLE runs (
        ${RN}, id TEXT COLLATE "C" PRIMARY KEY, request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id),
        status ${T}, started_at ${T}, body ${T}
      );
      CREATE INDEX runs_request ON runs (request_id, started_at, rn);
      CREATE INDEX runs_status ON runs (status, started_at, rn);
      CREATE TABLE run_steps (
        run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (id), step_id ${T}, idx INTEGER NOT NULL, body ${T},
        PRIMARY KEY (run_id, step_id)
      );
      CREATE TABLE lineage (${RN}, id TEXT COLLATE "C" PRIMARY KEY, ref ${T}, created_at ${T}, body ${T});
      CREATE INDEX lineage_ref ON lineage (ref, rn);
      CREATE TABLE scans (${RN}, id TEXT COLLATE "C" PRIMARY KEY, started_at ${T}, body ${T});
      CREATE INDEX scans_started ON scans (started_at, rn);
      CREATE TABLE snapshots (
        ref TEXT COLLATE "C" PRIMARY KEY, instance ${T}, scan_id ${T}, seen_at ${T}, record ${T}
      );
      CREATE INDEX snapshots_instance_ref ON snapshots (instance, ref);
      CREATE TABLE findings (
        id TEXT COLLATE "C" PRIMARY KEY, type ${T}, ref ${T}, status ${T}, severity ${T}, body ${T}
      );
      CREATE INDEX findings_status ON findings (status, type);
      CREATE INDEX findings_status_ref ON findings (status, ref, id);
      CREATE INDEX findings_ref ON findings (ref, id);
      CREATE TABLE deliveries (
        ${RN}, id TEXT COLLATE "C" PRIMARY KEY, status ${T}, subject ${T}, created_at ${T}, body ${T}
      );
      CREATE INDEX deliveries_status ON deliveries (status, created_at, rn);
      CREATE TABLE schedules (name TEXT COLLATE "C" PRIMARY KEY, body ${T});
      CREATE TABLE leases (name TEXT COLLATE "C" PRIMARY KEY, owner ${T}, body ${T});
      CREATE TABLE passkeys (
        ${RN}, credential_id TEXT COLLATE "C" PRIMARY KEY, principal ${T}, created_at ${T}, body ${T}
      );
      CREATE INDEX passkeys_principal ON passkeys (principal, created_at, rn);
    `,
  },
  {
    version: 2,
    name: 'incidents',
    // One row per incident (src/incident); its targets are ordinary requests.
    sql: `CREATE TABLE incidents (${RN}, id TEXT COLLATE "C" PRIMARY KEY, created_at ${T}, body ${T});`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

export interface MigrationResult {
  /** The schema version before and after. */
  from: number;
  to: number;
  /** The versions this call applied (empty when another instance had already). */
  applied: number[];
}

/** Bring the database to the latest schema on `client` (which must not be in a transaction). */
export async function migrate(client: pg.ClientBase): Promise<MigrationResult> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY, name TEXT COLLATE "C" NOT NULL,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const from = await appliedVersion(client);
    if (from > LATEST_SCHEMA_VERSION) {
      throw new NhiError(
        'store',
        `state store schema v${from} is newer than this nhi (v${LATEST_SCHEMA_VERSION}); upgrade nhi`,
      );
    }
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return { from, to: Math.max(from, LATEST_SCHEMA_VERSION), applied };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function appliedVersion(client: Pick<pg.ClientBase, 'query'>): Promise<number> {
  const { rows } = await client.query<{ v: number | null }>(
    'SELECT max(version) AS v FROM schema_migrations',
  );
  return rows[0]?.v ?? 0;
}
