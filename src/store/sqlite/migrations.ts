/**
 * Versioned schema migrations, applied in order on open inside one transaction each.
 * Never edit a released migration: add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE audit_entries (
        seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL,
        subject TEXT NOT NULL, data TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
      );
      CREATE TABLE audit_checkpoints (
        seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, ts TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL
      );
      CREATE TABLE requests (
        id TEXT PRIMARY KEY, ref TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, body TEXT NOT NULL
      );
      CREATE INDEX requests_ref ON requests(ref);
      CREATE TABLE approvals (
        id TEXT PRIMARY KEY, request_id TEXT NOT NULL REFERENCES requests(id), created_at TEXT NOT NULL, body TEXT NOT NULL
      );
      CREATE INDEX approvals_request ON approvals(request_id);
      CREATE TABLE runs (
        id TEXT PRIMARY KEY, request_id TEXT NOT NULL REFERENCES requests(id), status TEXT NOT NULL,
        started_at TEXT NOT NULL, body TEXT NOT NULL
      );
      CREATE INDEX runs_request ON runs(request_id);
      CREATE TABLE run_steps (
        run_id TEXT NOT NULL REFERENCES runs(id), step_id TEXT NOT NULL, idx INTEGER NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (run_id, step_id)
      );
      CREATE TABLE lineage (
        id TEXT PRIMARY KEY, ref TEXT NOT NULL, created_at TEXT NOT NULL, rowno INTEGER NOT NULL, body TEXT NOT NULL
      );
      CREATE UNIQUE INDEX lineage_rowno ON lineage(rowno);
      CREATE INDEX lineage_ref ON lineage(ref);
      CREATE TABLE scans (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, body TEXT NOT NULL);
      CREATE TABLE snapshots (
        ref TEXT PRIMARY KEY, instance TEXT NOT NULL, scan_id TEXT NOT NULL, seen_at TEXT NOT NULL, record TEXT NOT NULL
      );
      CREATE INDEX snapshots_scan ON snapshots(instance, scan_id);
      CREATE TABLE findings (
        id TEXT PRIMARY KEY, type TEXT NOT NULL, ref TEXT NOT NULL, status TEXT NOT NULL, body TEXT NOT NULL
      );
      CREATE INDEX findings_status ON findings(status, type);
      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY, status TEXT NOT NULL, subject TEXT NOT NULL, created_at TEXT NOT NULL, body TEXT NOT NULL
      );
      CREATE TABLE schedules (name TEXT PRIMARY KEY, body TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'findings-stream-index',
    // Reports and `nhi findings` stream open findings in (ref, id) pages; without this index
    // every page sorts the whole table (quadratic over a large estate).
    sql: `CREATE INDEX findings_status_ref ON findings(status, ref, id);`,
  },
  {
    version: 3,
    name: 'audit-witness-state',
    // How far each audit witness has been sent the signed checkpoints (docs/adr/005-audit-witnesses.md).
    sql: `CREATE TABLE audit_witnesses (name TEXT PRIMARY KEY, body TEXT NOT NULL);`,
  },
  {
    version: 4,
    name: 'leases',
    // Run leases and per-identity locks: one run per identity, one executor per run.
    sql: `CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, body TEXT NOT NULL);`,
  },
  {
    version: 5,
    name: 'audit-entries-by-type',
    // Every decision finds the adopted policy (src/policy/state.ts) without walking the log.
    sql: `CREATE INDEX audit_entries_type ON audit_entries(type, seq);`,
  },
  {
    version: 6,
    name: 'passkeys',
    // Owners' passkeys for the approval page (docs/adr/060-approval-page.md).
    sql: `
      CREATE TABLE passkeys (
        credential_id TEXT PRIMARY KEY, principal TEXT NOT NULL, created_at TEXT NOT NULL, body TEXT NOT NULL
      );
      CREATE INDEX passkeys_principal ON passkeys(principal, created_at);
    `,
  },
  {
    version: 7,
    name: 'incidents',
    // One row per incident (src/incident); its targets are ordinary requests.
    sql: `CREATE TABLE incidents (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, body TEXT NOT NULL);`,
  },
];
