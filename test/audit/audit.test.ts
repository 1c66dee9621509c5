import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportAuditJsonl } from '../../src/audit/export.js';
import { keyIdOf } from '../../src/audit/keys.js';
import { AuditLog, type AuditSigner } from '../../src/audit/log.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { AuditError } from '../../src/lib/errors.js';
import { SqliteGate } from '../../src/store/sqlite/database.js';
import { auditArea } from '../../src/store/sqlite/engine-areas.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';

const newSigner = (): AuditSigner => generateKeyPairSync('ed25519');

describe('audit log on a real SQLite store', () => {
  let dir: string;
  let path: string;
  let store: Store;
  let signer: AuditSigner;
  let log: AuditLog;
  /** A second connection to the same file: what an attacker with file access would use. */
  let raw: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nhi-audit-'));
    path = join(dir, 'state.db');
    store = openSqliteStore(path);
    signer = newSigner();
    log = new AuditLog(signer, { checkpointEvery: 3 });
    raw = new Database(path);
  });
  afterEach(async () => {
    raw.close();
    await store.close();
  });

  /** 10 entries; checkpoints at 3, 6, 9; entry 10 is the unsigned tail. */
  async function recordTen(): Promise<void> {
    for (let i = 1; i <= 10; i++) {
      await store.transaction((tx) =>
        log.record(tx.audit, {
          type: 'request.filed',
          actor: `user${i}`,
          subject: `req-${i}`,
          data: { i, reason: 'INC-42' },
        }),
      );
    }
  }
  const verify = (publicKey = signer.publicKey) => verifyAudit(store.audit, publicKey);

  it('verifies an intact log and reports the unsigned tail', async () => {
    await recordTen();
    expect(await verify()).toEqual({
      ok: true,
      entries: 10,
      checkpoints: 3,
      unsignedTail: 1,
      checkedClaims: 0,
    });
    await log.checkpoint(store.audit);
    expect(await verify()).toMatchObject({ ok: true, checkpoints: 4, unsignedTail: 0 });
  });

  it('verifies an empty log', async () => {
    expect(await verify()).toMatchObject({ ok: true, entries: 0, checkpoints: 0 });
  });

  it('detects an edited entry (data changed with UPDATE in the database file)', async () => {
    await recordTen();
    raw
      .prepare('UPDATE audit_entries SET data = ? WHERE seq = 5')
      .run(JSON.stringify({ i: 5, reason: 'nothing to see' }));
    expect((await verify()).firstBad).toEqual({ seq: 5, reason: expect.stringMatching(/edited/) });
  });

  it('detects an edited actor in the unsigned tail', async () => {
    await recordTen();
    raw.prepare("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 10").run();
    expect((await verify()).firstBad).toEqual({ seq: 10, reason: expect.stringMatching(/edited/) });
  });

  it('detects a deleted entry and names the missing seq', async () => {
    await recordTen();
    raw.prepare('DELETE FROM audit_entries WHERE seq = 4').run();
    const verdict = await verify();
    expect(verdict.ok).toBe(false);
    expect(verdict.firstBad).toEqual({ seq: 4, reason: expect.stringMatching(/expected seq 4, found 5/) });
  });

  it('detects the first entry being deleted', async () => {
    await recordTen();
    raw.prepare('DELETE FROM audit_entries WHERE seq = 1').run();
    expect((await verify()).firstBad?.seq).toBe(1);
  });

  it('detects reordered entries (seq of two rows swapped)', async () => {
    await recordTen();
    raw.transaction(() => {
      raw.prepare('UPDATE audit_entries SET seq = -1 WHERE seq = 2').run();
      raw.prepare('UPDATE audit_entries SET seq = 2 WHERE seq = 7').run();
      raw.prepare('UPDATE audit_entries SET seq = 7 WHERE seq = -1').run();
    })();
    expect((await verify()).firstBad).toEqual({ seq: 2, reason: expect.stringMatching(/prevHash/) });
  });

  it('detects truncation of entries a checkpoint covers', async () => {
    await recordTen();
    raw.prepare('DELETE FROM audit_entries WHERE seq >= 8').run();
    expect((await verify()).firstBad).toEqual({
      seq: 8,
      reason: expect.stringMatching(/truncated: checkpoint covers seq 9/),
    });
  });

  it('detects a checkpoint signed by another key', async () => {
    await recordTen();
    const intruder = newSigner();
    await new AuditLog(intruder).checkpoint(store.audit);
    expect((await verify()).firstBad).toEqual({ seq: 10, reason: expect.stringMatching(/another key/) });
  });

  it('detects a checkpoint whose signature was made by another key under our key id', async () => {
    await recordTen();
    const intruder = newSigner();
    await new AuditLog(intruder).checkpoint(store.audit);
    raw.prepare('UPDATE audit_checkpoints SET key_id = ? WHERE seq = 10').run(keyIdOf(signer.publicKey));
    expect((await verify()).firstBad).toEqual({ seq: 10, reason: 'checkpoint signature is invalid' });
  });

  it('detects a checkpoint verified with the wrong public key', async () => {
    await recordTen();
    expect((await verify(newSigner().publicKey)).firstBad).toMatchObject({ seq: 3 });
  });

  it('exportAuditJsonl writes one line per entry, then one per checkpoint', async () => {
    await recordTen();
    const out = join(dir, 'audit.jsonl');
    expect(await exportAuditJsonl(store.audit, out)).toEqual({ entries: 10, checkpoints: 3 });
    const lines = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(13);
    expect(lines.slice(0, 10).map((l) => [l.kind, l.seq])).toEqual(
      Array.from({ length: 10 }, (_, i) => ['entry', i + 1]),
    );
    expect(lines.slice(10).map((l) => [l.kind, l.seq])).toEqual([
      ['checkpoint', 3],
      ['checkpoint', 6],
      ['checkpoint', 9],
    ]);
    const entries = [];
    for await (const e of store.audit.entries()) entries.push(e);
    expect(lines[4]).toEqual({ kind: 'entry', ...entries[4] });
  });

  it('exportAuditJsonl fails with an AuditError, not a crash, when the file cannot be written', async () => {
    await recordTen();
    const out = join(dir, 'no', 'such', 'dir', 'audit.jsonl');
    await expect(exportAuditJsonl(store.audit, out)).rejects.toThrow(AuditError);
    await expect(exportAuditJsonl(store.audit, out)).rejects.toThrow(/ENOENT/);
  });

  it('fails closed: an entry that cannot be written raises an AuditError', async () => {
    await recordTen();
    await store.close();
    await expect(log.record(store.audit, { type: 'x', actor: 'a', subject: 's' })).rejects.toThrow(
      AuditError,
    );
    store = openSqliteStore(path);
  });
});

describe('audit verifier (property): no single mutation goes unnoticed', () => {
  const event = fc.record({
    type: fc.constantFrom('request.filed', 'approval.recorded', 'step.intent', 'step.done', 'run.completed'),
    actor: fc.string({ minLength: 1, maxLength: 12 }),
    subject: fc.string({ maxLength: 12 }),
    data: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  });

  type Mutation =
    | { kind: 'edit'; at: number; field: 'ts' | 'type' | 'actor' | 'subject' | 'data' | 'prev_hash' | 'hash' }
    | { kind: 'delete'; at: number }
    | { kind: 'swap'; at: number; other: number }
    | { kind: 'truncate'; at: number }
    | { kind: 'flip-signature'; at: number; byte: number; mask: number };

  const mutation = fc.oneof(
    fc.record({
      kind: fc.constant('edit' as const),
      at: fc.nat(),
      field: fc.constantFrom('ts', 'type', 'actor', 'subject', 'data', 'prev_hash', 'hash') as fc.Arbitrary<
        'ts' | 'type' | 'actor' | 'subject' | 'data' | 'prev_hash' | 'hash'
      >,
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('flip-signature' as const),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 63 }),
      mask: fc.integer({ min: 1, max: 255 }),
    }),
  ) as fc.Arbitrary<Mutation>;

  /** Apply the mutation; returns the seq the verifier must name, or undefined if it does not apply. */
  function apply(
    db: Database.Database,
    m: Mutation,
    n: number,
    checkpointSeqs: number[],
  ): number | undefined {
    const lastCp = checkpointSeqs.at(-1) ?? 0;
    switch (m.kind) {
      case 'edit': {
        const seq = (m.at % n) + 1;
        const row = db.prepare('SELECT * FROM audit_entries WHERE seq = ?').get(seq) as Record<
          string,
          string
        >;
        const current = row[m.field] as string;
        const next =
          m.field === 'data'
            ? JSON.stringify({ ...(JSON.parse(current) as object), tampered: current })
            : m.field === 'hash' || m.field === 'prev_hash'
              ? (current[0] === '0' ? '1' : '0') + current.slice(1)
              : `${current}!`;
        db.prepare(`UPDATE audit_entries SET ${m.field} = ? WHERE seq = ?`).run(next, seq);
        return seq;
      }
      case 'delete': {
        const seq = (m.at % n) + 1;
        // Dropping the newest entry is undetectable unless a checkpoint covers it: that is the
        // documented unsigned tail, not a verifier bug.
        if (seq === n && lastCp < n) return undefined;
        db.prepare('DELETE FROM audit_entries WHERE seq = ?').run(seq);
        return seq;
      }
      case 'swap': {
        if (n < 2) return undefined;
        const a = (m.at % n) + 1;
        const b = ((a - 1 + 1 + (m.other % (n - 1))) % n) + 1;
        db.transaction(() => {
          db.prepare('UPDATE audit_entries SET seq = -1 WHERE seq = ?').run(a);
          db.prepare('UPDATE audit_entries SET seq = ? WHERE seq = ?').run(a, b);
          db.prepare('UPDATE audit_entries SET seq = ? WHERE seq = -1').run(b);
        })();
        return Math.min(a, b);
      }
      case 'truncate': {
        if (lastCp === 0) return undefined;
        const from = (m.at % lastCp) + 1;
        db.prepare('DELETE FROM audit_entries WHERE seq >= ?').run(from);
        return from;
      }
      case 'flip-signature': {
        if (checkpointSeqs.length === 0) return undefined;
        const seq = checkpointSeqs[m.at % checkpointSeqs.length] as number;
        const row = db.prepare('SELECT signature FROM audit_checkpoints WHERE seq = ?').get(seq) as {
          signature: string;
        };
        const bytes = Buffer.from(row.signature, 'base64');
        bytes[m.byte] = (bytes[m.byte] as number) ^ m.mask;
        db.prepare('UPDATE audit_checkpoints SET signature = ? WHERE seq = ?').run(
          bytes.toString('base64'),
          seq,
        );
        return seq;
      }
    }
  }

  it('reports the mutated log as not intact, naming the first tampered seq', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        mutation,
        async (events, every, closingCheckpoint, m) => {
          const gate = new SqliteGate(':memory:');
          try {
            const audit = auditArea(gate);
            const signer = newSigner();
            const log = new AuditLog(signer, { checkpointEvery: every });
            for (const e of events) await gate.transaction(() => log.record(audit, e));
            if (closingCheckpoint) await log.checkpoint(audit);
            const before = await verifyAudit(audit, signer.publicKey);
            expect(before.ok).toBe(true);
            const seqs = (await audit.checkpoints()).map((c) => c.seq);
            const expectedSeq = apply(gate.db, m, events.length, seqs);
            if (expectedSeq === undefined) return;
            const after = await verifyAudit(audit, signer.publicKey);
            expect(after.ok).toBe(false);
            expect(after.firstBad?.seq).toBe(expectedSeq);
            expect(after.firstBad?.reason).toBeTruthy();
          } finally {
            gate.db.close();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
