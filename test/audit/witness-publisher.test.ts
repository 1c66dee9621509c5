/**
 * The witness publisher's guarantees, with a plain in-memory witness: only committed
 * checkpoints go out; only checkpoints signed by the audit key go out; a forged or corrupt
 * delivery row in the store can delay a witness but not silence what this process signs.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import {
  createWitnessPublisher,
  publishAfterCommit,
  type WitnessPublisher,
} from '../../src/audit/witness/publisher.js';
import type { WitnessRecord } from '../../src/audit/witness/record.js';
import { type Witness, WitnessError } from '../../src/audit/witness/types.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';

const signer = generateKeyPairSync('ed25519');

function memoryWitness(): Witness & { got: number[]; down: boolean } {
  const w = {
    name: 'memory',
    type: 'file' as const,
    got: [] as number[],
    down: false,
    async deliver(record: WitnessRecord) {
      if (w.down) throw new WitnessError('witness down (EIO)');
      w.got.push(record.seq);
    },
  };
  return w;
}

describe('witness publisher', () => {
  let path: string;
  let raw: Store;
  let store: Store;
  let witness: ReturnType<typeof memoryWitness>;
  let publisher: WitnessPublisher;
  let log: AuditLog;

  beforeEach(() => {
    path = join(mkdtempSync(join(tmpdir(), 'nhi-publisher-')), 'state.db');
    raw = openSqliteStore(path);
    witness = memoryWitness();
    publisher = createWitnessPublisher({
      witnesses: [witness],
      audit: raw.audit,
      publicKey: signer.publicKey,
      logger: pino({ level: 'silent' }),
      now: () => new Date(),
    });
    store = publishAfterCommit(raw, publisher);
    log = new AuditLog(signer, { onSigned: (cp) => publisher.enqueue(cp) });
  });
  afterEach(async () => {
    await raw.close();
  });

  const commit = (type: string) =>
    store.transaction((tx) => log.record(tx.audit, { type, actor: 'a', subject: 's' }));
  const edit = (sql: string, ...params: unknown[]) => {
    const db = new Database(path);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
  };

  it('delivers after the outermost commit only, and never a rolled-back checkpoint', async () => {
    await store.transaction(async (tx) => {
      await log.record(tx.audit, { type: 'scan.completed', actor: 'a', subject: 's' });
      // A nested transaction joins the outer one: nothing may be published from inside it.
      await store.transaction((inner) =>
        log.record(inner.audit, { type: 'approval.refused', actor: 'a', subject: 's' }),
      );
      expect(witness.got).toEqual([]);
    });
    expect(witness.got).toEqual([1, 2]);
    await expect(
      store.transaction(async (tx) => {
        await log.record(tx.audit, { type: 'scan.failed', actor: 'a', subject: 's' });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(witness.got).toEqual([1, 2]);
    await commit('x');
    await commit('resume.refused'); // seq 4
    expect(witness.got).toEqual([1, 2, 4]);
  });

  it('keeps a failed delivery pending in the store and sends it on the next publish', async () => {
    witness.down = true;
    await commit('scan.completed');
    await commit('scan.completed');
    expect(await publisher.statuses()).toMatchObject([
      {
        name: 'memory',
        deliveredSeq: 0,
        newestCheckpointSeq: 2,
        failures: 2,
        lastError: 'witness down (EIO)',
      },
    ]);
    witness.down = false;
    await publisher.publish();
    expect(witness.got).toEqual([1, 2]);
    expect(await publisher.statuses()).toMatchObject([{ deliveredSeq: 2, failures: 0 }]);
  });

  it('a forged or corrupt delivery row cannot silence a checkpoint this process signs', async () => {
    await commit('scan.completed');
    edit(
      'UPDATE audit_witnesses SET body = ?',
      JSON.stringify({ name: 'memory', deliveredSeq: 1e12, failures: 0 }),
    );
    await commit('scan.completed');
    edit("UPDATE audit_witnesses SET body = '{not json'");
    await commit('scan.completed');
    expect(witness.got).toEqual([1, 2, 3]);
  });

  it('never delivers a checkpoint row that the audit key did not sign', async () => {
    await commit('scan.completed');
    const db = new Database(path);
    try {
      const entry = db.prepare('SELECT hash FROM audit_entries WHERE seq = 1').get() as { hash: string };
      db.prepare(
        'INSERT INTO audit_entries SELECT 2, ts, type, actor, subject, data, ?, ? FROM audit_entries WHERE seq = 1',
      ).run(entry.hash, 'f'.repeat(64));
      db.prepare(
        'INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature) SELECT 2, ?, ts, key_id, signature FROM audit_checkpoints WHERE seq = 1',
      ).run('f'.repeat(64));
    } finally {
      db.close();
    }
    await publisher.publish();
    expect(witness.got).toEqual([1]);
  });
});
