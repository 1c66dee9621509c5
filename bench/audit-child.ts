/**
 * `nhi audit verify` against its physical floor, all in one process and one run: an audit log of
 * `n` entries written by the real AuditLog into the real SQLite store (checkpoints where the
 * rules require them), then
 * - raw SHA-256 over exactly the bytes the chain hashes (prevHash + canonical body per entry),
 * - one node:crypto Ed25519 verify per signature in the log (its checkpoints),
 * - the store's read alone (the entries' hashed bytes as the chain check reads them, on one
 *   thread, nothing checked): not a goal, the CPU of the chain check that is SQLite's, printed
 *   beside it,
 * - the chain check alone, as verifyAudit runs it (src/audit/chain-check.ts: entries read back
 *   from the store, every seq, prevHash and hash checked, on `workers` threads beside this one),
 * - the whole verifyAudit, as `nhi audit verify` runs it (signatures on `workers` threads).
 */
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointPayload } from '../src/audit/chain.js';
import { checkedChain } from '../src/audit/chain-check.js';
import { AuditLog } from '../src/audit/log.js';
import { verifyAudit } from '../src/audit/verify.js';
import { defaultVerifyWorkers } from '../src/audit/worker-pool.js';
import { canonicalJson } from '../src/lib/canonical.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';

export interface AuditChildResult {
  entries: number;
  bytes: number;
  signatures: number;
  /** Worker threads the chain check and verifyAudit were given (beside the main thread). */
  workers: number;
  rawSha256Seconds: number;
  ed25519Seconds: number;
  /** Reading the entries' hashed bytes from the store, nothing else. */
  readSeconds: number;
  chainSeconds: number;
  verifySeconds: number;
}

const BATCH = 1_000;

/** What a scan writes most: one finding per identity, with its ref and evidence. */
function event(i: number) {
  return {
    type: 'finding.opened',
    actor: 'scheduler',
    subject: `aws-bench:secret:prod/service-${i}`,
    data: {
      findingId: `fnd_${i.toString(16).padStart(12, '0')}`,
      type: i % 3 === 0 ? 'dormant' : 'long-lived',
      severity: i % 5 === 0 ? 'high' : 'medium',
      scanId: 'scan_bench',
      evidence: { lastUsedAt: '2026-01-02T03:04:05.000Z', confidence: 'high', ageDays: 400 + (i % 300) },
      owners: ['alice', 'bob'],
    },
  };
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

export async function auditChild(args: { n: number; workers?: number }): Promise<AuditChildResult> {
  // At most 2 by default: the bench shares its machine, and one core walks the chain meanwhile.
  const workers = args.workers ?? Math.min(2, defaultVerifyWorkers());
  const path = join(mkdtempSync(join(tmpdir(), 'nhi-bench-audit-')), 'state.db');
  const writer = openSqliteStore(path);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const log = new AuditLog({ privateKey, publicKey });
  for (let i = 0; i < args.n; i += BATCH) {
    await writer.transaction(async (tx) => {
      for (let j = i; j < Math.min(args.n, i + BATCH); j++) await log.record(tx.audit, event(j));
    });
  }

  await writer.close();
  // Read as `nhi audit verify` reads: its own connection, opened after the writers closed (so
  // their WAL is checkpointed), not the writer's connection with its cache and write-ahead log.
  const store = openSqliteStore(path);

  // The exact bytes the chain hashes, gathered before any clock runs.
  const chunks: Buffer[] = [];
  let entries = 0;
  for await (const e of store.audit.entries()) {
    entries++;
    const { seq, ts, type, actor, subject, data } = e;
    chunks.push(Buffer.from(e.prevHash + canonicalJson({ seq, ts, type, actor, subject, data })));
  }
  const bytes = chunks.reduce((s, c) => s + c.length, 0);
  const checkpoints = [];
  for await (const c of store.audit.checkpointsFrom()) checkpoints.push(c);

  let t0 = performance.now();
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  h.digest();
  const rawSha256Seconds = seconds(t0);

  const payloads = checkpoints.map((c) => ({
    data: Buffer.from(checkpointPayload(c.seq, c.hash)),
    sig: Buffer.from(c.signature, 'base64'),
  }));
  t0 = performance.now();
  for (const p of payloads) verify(null, p.data, publicKey, p.sig);
  const ed25519Seconds = seconds(t0);

  // The store's read alone (no hashing), as the chain check reads it (ranges of 1,000 entries,
  // here all on this thread): the part of the chain check no hashing speed-up reaches.
  t0 = performance.now();
  let read = 0;
  const ranges = await store.audit.hashedRanges?.();
  if (!ranges) throw new Error('bench store reads no ranges');
  for (let from = 1; from <= ranges.lastSeq; from += 1_000)
    read += (await ranges.read(from === 1 ? 0 : from, Math.min(ranges.lastSeq, from + 999))).count;
  const readSeconds = seconds(t0);

  // The chain check as verifyAudit runs it: every seq, prevHash and hash, from the store's rows.
  t0 = performance.now();
  let chained = 0;
  for await (const page of checkedChain(store.audit, { workers })) {
    if (page.bad) throw new Error(`bench chain broken at ${page.bad.seq}: ${page.bad.reason}`);
    chained += page.count;
  }
  const chainSeconds = seconds(t0);
  if (chained !== entries || read !== entries) throw new Error('bench chain check skipped entries');

  t0 = performance.now();
  const verdict = await verifyAudit(
    store.audit,
    publicKey,
    {},
    { checkpointEvery: log.checkpointEvery, workers },
  );
  const verifySeconds = seconds(t0);
  if (!verdict.ok) throw new Error(`bench audit log does not verify: ${JSON.stringify(verdict.firstBad)}`);
  await store.close();

  return {
    entries,
    bytes,
    signatures: payloads.length,
    workers,
    rawSha256Seconds,
    ed25519Seconds,
    readSeconds,
    chainSeconds,
    verifySeconds,
  };
}
