/**
 * Issue 17: checkpoint signatures are verified on worker threads while the chain is walked.
 * Whatever the number of workers, the verdict must be the one a sequential pass gives: the
 * first bad seq, with the counts at that point.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, type AuditSigner } from '../../src/audit/log.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { SqliteGate } from '../../src/store/sqlite/database.js';
import { auditArea } from '../../src/store/sqlite/engine-areas.js';
import type { AuditArea } from '../../src/store/store.js';

const EVERY = 2;
/** 90 checkpoints: more than a few batches, so workers start and the end is shared. */
const N = 180;

describe('verifyAudit with signature workers', () => {
  let gate: SqliteGate;
  let audit: AuditArea;
  let signer: AuditSigner;

  beforeEach(async () => {
    gate = new SqliteGate(':memory:');
    audit = auditArea(gate);
    signer = generateKeyPairSync('ed25519');
    const log = new AuditLog(signer, { checkpointEvery: EVERY });
    await gate.transaction(async () => {
      for (let i = 1; i <= N; i++)
        await log.record(audit, {
          type: 'finding.opened',
          actor: 'scheduler',
          subject: `ref-${i}`,
          data: { i },
        });
    });
  });
  afterEach(() => gate.db.close());

  const verify = (workers: number) =>
    verifyAudit(audit, signer.publicKey, {}, { checkpointEvery: EVERY, workers });
  /** The verdicts with 0 (all on this thread), 1 and 2 workers, which must all be equal. */
  async function verdicts() {
    const sequential = await verify(0);
    expect(await verify(1)).toEqual(sequential);
    expect(await verify(2)).toEqual(sequential);
    return sequential;
  }
  const breakSignature = (seq: number) =>
    gate.db
      .prepare('UPDATE audit_checkpoints SET signature = ? WHERE seq = ?')
      .run(Buffer.alloc(64, 7).toString('base64'), seq);
  const editEntry = (seq: number) =>
    gate.db.prepare("UPDATE audit_entries SET actor = 'mallory' WHERE seq = ?").run(seq);

  it('verifies an intact log the same with and without workers', async () => {
    expect(await verdicts()).toEqual({
      ok: true,
      entries: N,
      checkpoints: N / EVERY,
      unsignedTail: 0,
      checkedClaims: 0,
    });
  });

  it('names the lowest bad signature, with the counts a sequential pass stops at', async () => {
    breakSignature(150);
    breakSignature(100);
    expect(await verdicts()).toEqual({
      ok: false,
      entries: 100,
      checkpoints: 50,
      unsignedTail: 0,
      checkedClaims: 0,
      firstBad: { seq: 100, reason: 'checkpoint signature is invalid' },
    });
  });

  it('a bad signature before an edited entry is named first, and after one is not', async () => {
    breakSignature(100);
    editEntry(151);
    expect((await verdicts()).firstBad).toEqual({ seq: 100, reason: 'checkpoint signature is invalid' });
    editEntry(61);
    expect((await verdicts()).firstBad).toEqual({ seq: 61, reason: expect.stringMatching(/edited/) });
  });

  it('every signature bad: names the first checkpoint', async () => {
    for (let seq = EVERY; seq <= N; seq += EVERY) breakSignature(seq);
    expect((await verdicts()).firstBad).toEqual({ seq: EVERY, reason: 'checkpoint signature is invalid' });
  });

  it('a genuine signature moved to another checkpoint is invalid there', async () => {
    gate.db.prepare('UPDATE audit_checkpoints SET signature = ? WHERE seq = 120').run(
      (
        gate.db.prepare('SELECT signature FROM audit_checkpoints WHERE seq = 118').get() as {
          signature: string;
        }
      ).signature,
    );
    expect((await verdicts()).firstBad).toEqual({ seq: 120, reason: 'checkpoint signature is invalid' });
  });
});
