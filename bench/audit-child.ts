/**
 * `nhi audit verify` against its physical floor, all in one process and one run: an audit log of
 * `n` entries written by the real AuditLog into the real SQLite store (checkpoints where the
 * rules require them), then
 * - raw SHA-256 over exactly the bytes the chain hashes (prevHash + canonical body per entry),
 * - one node:crypto Ed25519 verify per signature in the log (its checkpoints),
 * - the chain check alone (entries read back from the store, every hash recomputed),
 * - the whole verifyAudit, as `nhi audit verify` runs it.
 */
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointPayload, entryHash } from '../src/audit/chain.js';
import { AuditLog } from '../src/audit/log.js';
import { verifyAudit } from '../src/audit/verify.js';
import { canonicalJson } from '../src/lib/canonical.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { AuditEntry } from '../src/store/types.js';

export interface AuditChildResult {
  entries: number;
  bytes: number;
  signatures: number;
  workers: number;
  rawSha256Seconds: number;
  ed25519Seconds: number;
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

export async function auditChild(args: { n: number }): Promise<AuditChildResult> {
  const store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'nhi-bench-audit-')), 'state.db'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const log = new AuditLog({ privateKey, publicKey });
  for (let i = 0; i < args.n; i += BATCH) {
    await store.transaction(async (tx) => {
      for (let j = i; j < Math.min(args.n, i + BATCH); j++) await log.record(tx.audit, event(j));
    });
  }

  // The exact bytes the chain hashes, gathered before any clock runs.
  const chunks: Buffer[] = [];
  const entries: AuditEntry[] = [];
  for await (const e of store.audit.entries()) {
    entries.push(e);
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

  t0 = performance.now();
  let prev = '0'.repeat(64);
  for await (const e of store.audit.entries()) {
    if (e.prevHash !== prev || entryHash(e) !== e.hash) throw new Error(`bench chain broken at ${e.seq}`);
    prev = e.hash;
  }
  const chainSeconds = seconds(t0);

  t0 = performance.now();
  const verdict = await verifyAudit(store.audit, publicKey, {}, { checkpointEvery: log.checkpointEvery });
  const verifySeconds = seconds(t0);
  if (!verdict.ok) throw new Error(`bench audit log does not verify: ${JSON.stringify(verdict.firstBad)}`);
  await store.close();

  return {
    entries: entries.length,
    bytes,
    signatures: payloads.length,
    // verifyAudit runs on the main thread today; the figure says so rather than the cores present.
    workers: 1,
    rawSha256Seconds,
    ed25519Seconds,
    chainSeconds,
    verifySeconds,
  };
}
