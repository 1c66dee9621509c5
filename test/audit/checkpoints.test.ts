/**
 * Issue 10, "Checkpoints that cannot vanish": a signed checkpoint is mandatory at run ends,
 * scan ends, decisions, refusals and every N entries, written in the same transaction as the
 * entry; `nhi audit verify` fails when one is missing, so re-hashing a shortened chain and
 * emptying the checkpoints table no longer passes as intact.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { AuditEvent } from '../../src/audit/chain.js';
import { requiredCheckpoint } from '../../src/audit/checkpoint-rules.js';
import { AuditLog, type AuditSigner } from '../../src/audit/log.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import { nhi, rewriteChain } from './tamper.js';

const event = (type: string, i = 0): AuditEvent => ({ type, actor: 'carol', subject: `s-${i}`, data: { i } });

describe('mandatory checkpoints (AuditLog + verifyAudit on SQLite)', () => {
  let dir: string;
  let path: string;
  let store: Store;
  let signer: AuditSigner;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nhi-checkpoints-'));
    path = join(dir, 'state.db');
    store = openSqliteStore(path);
    signer = generateKeyPairSync('ed25519');
  });
  afterEach(async () => {
    await store.close();
  });

  const record = (log: AuditLog, ...types: string[]) =>
    types.reduce(
      (p, type, i) =>
        p.then(() => store.transaction((tx) => log.record(tx.audit, event(type, i))).then(() => {})),
      Promise.resolve(),
    );
  const checkpointSeqs = async () => (await store.audit.checkpoints()).map((c) => c.seq);

  it('signs a checkpoint in the same transaction as every run end, scan end, decision and refusal', async () => {
    const log = new AuditLog(signer, { checkpointEvery: 100 });
    await record(
      log,
      'request.created', // 1
      'approval.recorded', // 2
      'run.started', // 3
      'step.done', // 4
      'run.completed', // 5
      'scan.completed', // 6
      'approval.refused', // 7
      'review.recorded', // 8
      'run.needs-attention', // 9
      'scan.interrupted', // 10
      'resume.refused', // 11
      'request.created', // 12
    );
    expect(await checkpointSeqs()).toEqual([2, 5, 6, 7, 8, 9, 10, 11]);
    expect(await verifyAudit(store.audit, signer.publicKey)).toMatchObject({ ok: true, unsignedTail: 1 });
  });

  it('counts N from the previous checkpoint, so decisions reset the interval', async () => {
    const log = new AuditLog(signer, { checkpointEvery: 3 });
    await record(log, 'a', 'approval.recorded', 'b', 'c', 'd', 'e', 'f', 'g');
    expect(await checkpointSeqs()).toEqual([2, 5, 8]);
    expect(requiredCheckpoint({ seq: 5, type: 'x' }, 2, 3)).toBe('interval');
    expect(requiredCheckpoint({ seq: 4, type: 'x' }, 2, 3)).toBeUndefined();
  });

  it('a rolled-back run end leaves neither its entry nor its checkpoint', async () => {
    const log = new AuditLog(signer);
    await expect(
      store.transaction(async (tx) => {
        await log.record(tx.audit, event('run.completed'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.audit.head()).toBeUndefined();
    expect(await checkpointSeqs()).toEqual([]);
  });

  it('fails when entries are deleted, the chain renumbered and re-hashed and the checkpoints emptied', async () => {
    const log = new AuditLog(signer, { checkpointEvery: 100 });
    await record(
      log,
      'request.created',
      'approval.recorded',
      'run.started',
      'step.done',
      'run.completed',
      'x',
    );
    expect((await verifyAudit(store.audit, signer.publicKey)).ok).toBe(true);
    // Remove the approval, then make everything consistent again without the audit key.
    rewriteChain(path, (row) => (row.type === 'approval.recorded' ? null : row));
    const verdict = await verifyAudit(store.audit, signer.publicKey);
    expect(verdict.ok).toBe(false);
    expect(verdict.firstBad).toEqual({
      seq: 4,
      reason: expect.stringMatching(/required checkpoint missing: entry 4 \(run\.completed\) is a run end/),
    });
  });

  it('fails when N entries go by without a checkpoint (the interval, with N from the caller)', async () => {
    const log = new AuditLog(signer, { checkpointEvery: 3 });
    await record(log, 'a', 'b', 'c', 'd');
    rewriteChain(path, (row) => row);
    const verdict = await verifyAudit(store.audit, signer.publicKey, {}, { checkpointEvery: 3 });
    expect(verdict.firstBad).toEqual({
      seq: 3,
      reason: expect.stringMatching(/entry 3 \(c\) is 3 entries since the previous checkpoint/),
    });
    // Fewer than N entries and no mandatory point: nothing required yet, reported as the unsigned tail.
    rewriteChain(path, (row) => (row.seq >= 3 ? null : row));
    expect(await verifyAudit(store.audit, signer.publicKey, {}, { checkpointEvery: 3 })).toMatchObject({
      ok: true,
      unsignedTail: 2,
    });
  });

  it('a larger N than the writer used still verifies (raising audit.checkpointEvery is safe)', async () => {
    const log = new AuditLog(signer, { checkpointEvery: 2 });
    await record(log, 'a', 'b', 'c', 'd', 'e');
    expect(await verifyAudit(store.audit, signer.publicKey, {}, { checkpointEvery: 50 })).toMatchObject({
      ok: true,
      checkpoints: 2,
      unsignedTail: 1,
    });
  });
});

describe('nhi audit verify takes N from config audit.checkpointEvery', () => {
  it('exits 1 naming the seq of the missing checkpoint after a re-hash without the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nhi-checkpoints-cli-'));
    expect((await nhi(join(dir, 'none.json'), 'keygen', '--out', join(dir, 'audit'))).code).toBe(0);
    writeFileSync(join(dir, 'fingerprint.key'), 'fingerprint-key-for-tests\n', { mode: 0o600 });
    const config = join(dir, 'nhi.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        state: { path: './state.db' },
        keys: { fingerprint: 'file:fingerprint.key', auditSigning: 'file:audit.key' },
        log: { level: 'silent' },
        audit: { checkpointEvery: 4 },
        providers: { 'aws-test': { type: 'aws', region: 'eu-west-1', credentials: { method: 'default' } } },
      }),
    );
    const app = await createApp({ configPath: config, env: {} });
    try {
      for (let i = 1; i <= 6; i++)
        await app.store.transaction((tx) => app.audit.record(tx.audit, event('test.event', i)));
      expect((await app.store.audit.checkpoints()).map((c) => c.seq)).toEqual([4]);
    } finally {
      await app.close();
    }
    const ok = await nhi(config, 'audit', 'verify');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('note: the last 2 entr(y/ies) are chained but not yet covered');

    rewriteChain(join(dir, 'state.db'), (row) => (row.seq === 1 ? null : row));
    const bad = await nhi(config, 'audit', 'verify');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/NOT intact: first bad entry seq 4: required checkpoint missing/);
    const json = await nhi(config, '--json', 'audit', 'verify');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, firstBad: { seq: 4 } });
  });
});
