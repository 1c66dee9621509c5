/**
 * The audit log's rows as the store keeps and reads them (src/audit/ gives them meaning); part of
 * ./types.ts, which re-exports them.
 */
export interface AuditEntry {
  seq: number;
  ts: string;
  type: string;
  actor: string;
  subject: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/**
 * An audit entry as `nhi audit verify` reads it (AuditArea.hashedEntries): the fields the
 * chain check compares, and `body`, the bytes its hash covers after `prevHash`. A store builds
 * `body` from the entry's own columns (the canonical `data` bytes stored at append, the other
 * fields written as RFC 8785 writes them, src/audit/chain.ts `entryBody`), so every column is
 * under the hash and none is canonicalized again.
 */
export interface HashedAuditEntry {
  seq: number;
  type: string;
  prevHash: string;
  hash: string;
  /** Null when a column the body is built from does not hold text (written by hand). */
  body: string | null;
  /** The parsed entry, when the source has it already (an export file). */
  entry?: AuditEntry;
}

/**
 * Consecutive audit entries as one piece each field (AuditRanges.read), for the parallel chain
 * check of `nhi audit verify`: one statement and a few strings per thousand entries instead of
 * an object per entry, and strings a worker thread can be handed as they are. Every field lists
 * the same rows in the same order (one pass of one statement). Nothing here is trusted:
 * src/audit/range-check.ts holds it to what the entry-by-entry check would find, and anything
 * it cannot vouch for is checked entry by entry (`hashedEntries`).
 */
export interface HashedRange {
  /** Rows read (those with seq in the range asked for). */
  count: number;
  /** Their seqs in decimal, comma-separated. */
  seqs: string;
  /** Their prevHash columns, comma-separated. */
  prevHashes: string;
  /** Their hash columns, comma-separated. */
  hashes: string;
  /** Their types, newline-separated. */
  types: string;
  /**
   * prevHash followed by the body (HashedAuditEntry.body) of each row, newline-separated: the
   * bytes each hash covers. A row with a column that is not text has a NUL instead (which no
   * body holds: JSON escapes it).
   */
  inputs: string;
}

/** Where the parallel chain check reads ranges (AuditArea.hashedRanges). */
export interface AuditRanges {
  /** The highest seq when asked (0 for none): the ranges cover 1..lastSeq, the rest is read entry by entry. */
  lastSeq: number;
  /** The entries with seq in [fromSeq, toSeq], on the store's own connection. */
  read(fromSeq: number, toSeq: number): Promise<HashedRange>;
  /**
   * How a worker thread reads the same ranges on a read-only connection of its own (SQLite on
   * a file), or absent (then this thread reads and workers only hash). Plain data, sent to the
   * worker: the module to load, the database file and the statement, whose row
   * `hashedRangeOf` (src/store/sqlite/audit-hashed.ts) turns into a HashedRange.
   */
  worker?: { driver: string; file: string; sql: string };
}

export interface AuditCheckpoint {
  seq: number;
  hash: string;
  ts: string;
  /** Fingerprint of the public key that signed (sha256 of its DER). */
  keyId: string;
  signature: string;
}

/**
 * How far one configured audit witness has been sent the signed checkpoints
 * (src/audit/witness/publisher.ts). Operational memory only: a forged row can delay a
 * delivery, never fake one — `nhi audit verify --witness` reads the witness itself.
 */
export interface WitnessDeliveryState {
  /** The witness name from config `audit.witnesses[].name`. */
  name: string;
  /** Every checkpoint up to this seq was delivered (0: none yet). */
  deliveredSeq: number;
  deliveredAt?: string;
  /** Consecutive failed attempts since the last success. */
  failures: number;
  /** Redacted: an error name, code or HTTP status, never a body, URL query or credential. */
  lastError?: string;
  lastAttemptAt?: string;
}
