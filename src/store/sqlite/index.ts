import Database from 'better-sqlite3';
import type { Store } from '../store.js';
import { SqliteGate, type SqliteOpenOptions } from './database.js';
import { approvalArea, auditArea, lineageArea, requestArea, runArea } from './engine-areas.js';
import { incidentArea } from './incident-areas.js';
import { leaseArea } from './lease-areas.js';
import { MIGRATIONS } from './migrations.js';
import { passkeyArea } from './passkey-areas.js';
import { deliveryArea, findingArea, scanArea, scheduleArea } from './scan-areas.js';

/** The embedded store: SQLite in WAL mode with synchronous=FULL, migrated on open. */
export function openSqliteStore(path: string, opts: SqliteOpenOptions = {}): Store {
  const gate = new SqliteGate(path, opts);
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
  return {
    ...areas,
    // One connection: inside the transaction the same areas join it (see SqliteGate).
    transaction: (fn) => gate.transaction(() => fn(areas)),
    snapshot: (fn) => gate.snapshot(() => fn(areas)),
    schemaVersion: async () => Number(gate.db.pragma('user_version', { simple: true })),
    close: async () => {
      await gate.exclusive(() => gate.db.close());
    },
  };
}

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

export const MIGRATION_VERSIONS: readonly number[] = MIGRATIONS.map((m) => m.version);

/** The schema version of the state file at `path`, read-only (it must exist). */
export function sqliteSchemaVersion(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return Number(db.pragma('user_version', { simple: true }));
  } finally {
    db.close();
  }
}
