/**
 * Issue 17: the chain is checked a range at a time (src/audit/range-check.ts), by worker threads
 * reading the database file on connections of their own while this thread walks it. Whatever
 * the range size and the number of workers, the verdict must be the one the entry-by-entry
 * check gives (the same first bad seq, reason and counts): every tampering below is compared
 * with that reference.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryBody, sha256HexOf } from '../../src/audit/chain.js';
import { type AuditSource, checkedChain } from '../../src/audit/chain-check.js';
import { AuditLog, type AuditSigner } from '../../src/audit/log.js';
import { rangeIntact } from '../../src/audit/range-check.js';
import { type EntryChecker, verifyAudit } from '../../src/audit/verify.js';
import { type RangeJob, VerifyPool } from '../../src/audit/worker-pool.js';
import { hashedRangeOf } from '../../src/store/sqlite/audit-hashed.js';
import { SqliteGate } from '../../src/store/sqlite/database.js';
import { auditArea } from '../../src/store/sqlite/engine-areas.js';
import type { AuditArea } from '../../src/store/store.js';
import type { HashedRange } from '../../src/store/types.js';
import type { AuditRow } from './tamper.js';

const EVERY = 5;
const N = 150;
/** 19 ranges of 8: enough that workers start, with ranges meeting all along the log. */
const SIZE = 8;

type Row = AuditRow;

/**
 * Every entry from `seq` on re-hashed over its stored columns: a rewrite without the audit key.
 * The first one is chained on its own prevHash with `keepPrev`, else on the entry before it.
 */
function rehashFrom(db: Database.Database, seq: number, keepPrev = false): void {
  const rows = db.prepare('SELECT * FROM audit_entries WHERE seq >= ? ORDER BY seq').all(seq) as Row[];
  const before = db
    .prepare('SELECT hash FROM audit_entries WHERE seq < ? ORDER BY seq DESC LIMIT 1')
    .get(seq) as { hash: string } | undefined;
  let prev = keepPrev && rows[0] ? rows[0].prev_hash : (before?.hash ?? '0'.repeat(64));
  const update = db.prepare('UPDATE audit_entries SET prev_hash = ?, hash = ? WHERE seq = ?');
  for (const r of rows) {
    const hash = sha256HexOf(prev + entryBody(r, r.data));
    update.run(prev, hash, r.seq);
    prev = hash;
  }
}

/** The claim checker's entries (every 7th): their bytes come back from whichever thread read them. */
const claims: Record<string, EntryChecker> = {
  'claim.made': (e) =>
    typeof e.data.n === 'number' && e.subject === `ref-${e.data.n}` ? undefined : 'bad claim',
};

describe('the chain checked in ranges gives the entry-by-entry verdict', () => {
  let dir: string;
  let gate: SqliteGate;
  let audit: AuditArea;
  let signer: AuditSigner;
  /** A second connection, as an attacker with the file would use. */
  let raw: Database.Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nhi-audit-ranges-'));
    gate = new SqliteGate(join(dir, 'state.db'));
    audit = auditArea(gate);
    signer = generateKeyPairSync('ed25519');
    const log = new AuditLog(signer, { checkpointEvery: EVERY });
    await gate.transaction(async () => {
      for (let i = 1; i <= N; i++)
        await log.record(audit, {
          type: i % 7 === 0 ? 'claim.made' : 'finding.opened',
          actor: 'scheduler',
          subject: `ref-${i}`,
          data: { n: i, nested: { é: 'ü', list: [1, 'two', null] } },
        });
    });
    raw = new Database(join(dir, 'state.db'));
  });
  afterEach(() => {
    raw.close();
    gate.db.close();
  });

  const entryByEntry = (source: AuditArea): AuditSource => {
    const { hashedRanges: _, ...rest } = source;
    return rest;
  };
  const verify = (source: AuditSource, workers: number, rangeSize = SIZE) =>
    verifyAudit(source, signer.publicKey, claims, { checkpointEvery: EVERY, workers, rangeSize });
  /** The reference verdict, then the same from ranges with 0, 1 and 2 workers. */
  async function sameVerdicts(source: AuditArea = audit) {
    const reference = await verify(entryByEntry(source), 0);
    for (const workers of [0, 1, 2]) expect(await verify(source, workers)).toEqual(reference);
    return reference;
  }
  const sql = (text: string, ...params: unknown[]) => raw.prepare(text).run(...params);

  it('an intact log: the same counts, every claim checked', async () => {
    expect(await sameVerdicts()).toEqual({
      ok: true,
      entries: N,
      checkpoints: N / EVERY,
      unsignedTail: 0,
      checkedClaims: Math.floor(N / 7),
    });
  });

  // Seqs 1, 8 and 9 sit at the first range's ends (it is [0, 8]), 16/17 where two others meet,
  // 150 is the last entry.
  const edits: [string, (seq: number) => void][] = [
    ['data', (seq) => sql(`UPDATE audit_entries SET data = json_set(data, '$.n', 0) WHERE seq = ?`, seq)],
    ['actor', (seq) => sql(`UPDATE audit_entries SET actor = 'mallory' WHERE seq = ?`, seq)],
    ['ts', (seq) => sql(`UPDATE audit_entries SET ts = '2020-01-01T00:00:00.000Z' WHERE seq = ?`, seq)],
    ['type', (seq) => sql(`UPDATE audit_entries SET type = 'finding.resolved' WHERE seq = ?`, seq)],
    ['subject', (seq) => sql(`UPDATE audit_entries SET subject = 'x' WHERE seq = ?`, seq)],
    [
      'hash',
      (seq) =>
        sql(`UPDATE audit_entries SET hash = replace(hash, substr(hash, 1, 1), 'g') WHERE seq = ?`, seq),
    ],
    [
      'prev_hash',
      (seq) =>
        sql(
          `UPDATE audit_entries SET prev_hash = iif(prev_hash LIKE 'f%', 'e', 'f') || substr(prev_hash, 2) WHERE seq = ?`,
          seq,
        ),
    ],
    [
      'actor as a BLOB',
      (seq) => sql('UPDATE audit_entries SET actor = CAST(actor AS BLOB) WHERE seq = ?', seq),
    ],
    ['data as a BLOB', (seq) => sql('UPDATE audit_entries SET data = CAST(data AS BLOB) WHERE seq = ?', seq)],
    ['hash as a BLOB', (seq) => sql('UPDATE audit_entries SET hash = CAST(hash AS BLOB) WHERE seq = ?', seq)],
    [
      'prev_hash as a BLOB',
      (seq) => sql('UPDATE audit_entries SET prev_hash = CAST(prev_hash AS BLOB) WHERE seq = ?', seq),
    ],
    ['deleted', (seq) => sql('DELETE FROM audit_entries WHERE seq = ?', seq)],
    [
      'edited and the rest re-hashed',
      (seq) => {
        sql(`UPDATE audit_entries SET actor = 'mallory' WHERE seq = ?`, seq);
        rehashFrom(raw, seq);
      },
    ],
    [
      'deleted and the rest renumbered and re-hashed',
      (seq) => {
        sql('DELETE FROM audit_entries WHERE seq = ?', seq);
        sql('UPDATE audit_entries SET seq = -seq WHERE seq > ?', seq);
        sql('UPDATE audit_entries SET seq = -seq - 1 WHERE seq < 0');
        rehashFrom(raw, seq);
      },
    ],
    [
      // Each entry's own hash holds; only the link to the one before it is broken.
      'prev_hash changed and the rest re-hashed over it',
      (seq) => {
        sql(`UPDATE audit_entries SET prev_hash = ? WHERE seq = ?`, sha256HexOf('elsewhere'), seq);
        rehashFrom(raw, seq, true);
      },
    ],
    [
      'a NUL in data, re-hashed',
      (seq) => {
        sql(`UPDATE audit_entries SET data = replace(data, 'two', 'tw' || char(0)) WHERE seq = ?`, seq);
        rehashFrom(raw, seq);
      },
    ],
    [
      'a raw newline in data, re-hashed',
      (seq) => {
        sql(`UPDATE audit_entries SET data = replace(data, '[', '[' || char(10)) WHERE seq = ?`, seq);
        rehashFrom(raw, seq);
      },
    ],
  ];
  for (const [what, edit] of edits)
    it.each([1, 8, 9, 16, 17, 77, N])(`entry %i ${what}`, async (seq) => {
      edit(seq);
      expect((await sameVerdicts()).ok).toBe(false);
    });

  it.each([
    ['two entries swapped within a range', [20, 22]],
    ['two entries swapped across ranges', [16, 17]],
    ['the first and the last entry swapped', [1, N]],
  ])('%s', async (_what, [a, b]) => {
    sql('UPDATE audit_entries SET seq = -1 WHERE seq = ?', a);
    sql('UPDATE audit_entries SET seq = ? WHERE seq = ?', a, b);
    sql('UPDATE audit_entries SET seq = ? WHERE seq = -1', b);
    expect((await sameVerdicts()).ok).toBe(false);
  });

  it.each([
    ['a whole range deleted', 'DELETE FROM audit_entries WHERE seq BETWEEN 17 AND 24'],
    ['the log truncated below checkpoints', 'DELETE FROM audit_entries WHERE seq >= 100'],
    [
      'an entry inserted at seq 0',
      'INSERT INTO audit_entries SELECT 0, ts, type, actor, subject, data, prev_hash, hash FROM audit_entries WHERE seq = 1',
    ],
    [
      'an entry far beyond the head',
      'INSERT INTO audit_entries SELECT 10000000, ts, type, actor, subject, data, prev_hash, hash FROM audit_entries WHERE seq = 150',
    ],
    ['the checkpoints deleted', 'DELETE FROM audit_checkpoints'],
    ['a checkpoint deleted', 'DELETE FROM audit_checkpoints WHERE seq = 60'],
    [
      'a checkpoint hash changed',
      `UPDATE audit_checkpoints SET hash = (SELECT hash FROM audit_entries WHERE seq = 59) WHERE seq = 60`,
    ],
    [
      'a signature moved',
      'UPDATE audit_checkpoints SET signature = (SELECT signature FROM audit_checkpoints WHERE seq = 5) WHERE seq = 60',
    ],
  ])('%s', async (_what, text) => {
    sql(text);
    expect((await sameVerdicts()).ok).toBe(false);
  });

  it('hashes cut to line up only when concatenated (63 and 65 characters) are still an edit', async () => {
    // Entry 20's hash is its digest less the last character; entry 21 carries that character
    // before its own digest. Concatenated, the hashes are the digests; one by one, they are not.
    const rows = raw
      .prepare('SELECT * FROM audit_entries WHERE seq IN (20, 21, 22) ORDER BY seq')
      .all() as Row[];
    const [r20, r21, r22] = rows as [Row, Row, Row];
    const d20 = sha256HexOf(r20.prev_hash + entryBody(r20, r20.data));
    const h20 = d20.slice(0, 63);
    const d21 = sha256HexOf(h20 + entryBody(r21, r21.data));
    const h21 = d20.slice(63) + d21;
    sql('UPDATE audit_entries SET hash = ? WHERE seq = 20', h20);
    sql('UPDATE audit_entries SET prev_hash = ?, hash = ? WHERE seq = 21', h20, h21);
    sql('UPDATE audit_entries SET prev_hash = ? WHERE seq = 22', h21);
    rehashFrom(raw, r22.seq);
    expect((await sameVerdicts()).firstBad).toEqual({ seq: 20, reason: expect.stringMatching(/edited/) });
  });

  it('a column that is not text is an edit, whatever hash the row was given', async () => {
    // The store stands a NUL in for the input of such a row: a hash over that NUL, chained on,
    // must not pass for the entry.
    sql('UPDATE audit_entries SET actor = CAST(actor AS BLOB), hash = ? WHERE seq = 12', sha256HexOf('\0'));
    rehashFrom(raw, 13);
    expect((await sameVerdicts()).firstBad).toEqual({ seq: 12, reason: expect.stringMatching(/edited/) });
  });

  it('entries the fast check cannot vouch for, but which are intact, still verify', async () => {
    // A type with a newline (the types are newline-separated) and data in a writer's key order
    // (hashed before data was stored canonical): both checked entry by entry, both intact.
    const log = new AuditLog(signer, { checkpointEvery: EVERY });
    await gate.transaction(() => log.record(audit, { type: 'odd\ntype', actor: 'a', subject: 's' }));
    for (const seq of [30, 31, 32]) {
      const { data } = raw.prepare('SELECT data FROM audit_entries WHERE seq = ?').get(seq) as {
        data: string;
      };
      const reordered = JSON.stringify(
        Object.fromEntries(Object.entries(JSON.parse(data) as object).reverse()),
      );
      sql('UPDATE audit_entries SET data = ? WHERE seq = ?', reordered, seq);
    }
    expect(await sameVerdicts()).toMatchObject({ ok: true, entries: N + 1 });
  });

  it('entries appended after the ranges were fixed are checked entry by entry', async () => {
    const shorter: AuditArea = {
      ...audit,
      hashedRanges: async () => ({
        ...(await (audit.hashedRanges as NonNullable<AuditArea['hashedRanges']>)()),
        lastSeq: 100,
      }),
    };
    expect(await sameVerdicts(shorter)).toMatchObject({ ok: true, entries: N });
    sql(`UPDATE audit_entries SET actor = 'mallory' WHERE seq = 120`);
    expect((await sameVerdicts(shorter)).firstBad).toEqual({
      seq: 120,
      reason: expect.stringMatching(/edited/),
    });
  });

  it('random tampering, any range size: the same verdict as entry by entry', async () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('edit' as const),
        edit: fc.nat(edits.length - 1),
        seq: fc.integer({ min: 1, max: N }),
      }),
      fc.record({
        kind: fc.constant('swap' as const),
        a: fc.integer({ min: 1, max: N }),
        b: fc.integer({ min: 1, max: N }),
      }),
      fc.record({ kind: fc.constant('truncate' as const), from: fc.integer({ min: 1, max: N }) }),
    );
    const snapshot = raw.prepare('SELECT * FROM audit_entries').all() as Row[];
    const restore = raw.transaction(() => {
      raw.prepare('DELETE FROM audit_entries').run();
      const insert = raw.prepare(
        'INSERT INTO audit_entries (seq, ts, type, actor, subject, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const r of snapshot)
        insert.run(r.seq, r.ts, r.type, r.actor, r.subject, r.data, r.prev_hash, r.hash);
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 40 }),
        async (ms, size) => {
          restore();
          for (const m of ms) {
            if (m.kind === 'edit') (edits[m.edit] as (typeof edits)[number])[1](m.seq);
            else if (m.kind === 'truncate') sql('DELETE FROM audit_entries WHERE seq >= ?', m.from);
            else if (m.a !== m.b) {
              sql('UPDATE audit_entries SET seq = -1 WHERE seq = ?', m.a);
              sql('UPDATE audit_entries SET seq = ? WHERE seq = ?', m.a, m.b);
              sql('UPDATE audit_entries SET seq = ? WHERE seq = -1', m.b);
            }
          }
          expect(await verify(audit, 0, size)).toEqual(await verify(entryByEntry(audit), 0));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the chain check alone yields every entry once, in order, with its hash and type', async () => {
    const seen: { seq: number; type: string; hash: string }[] = [];
    for await (const page of checkedChain(audit, { workers: 1, rangeSize: SIZE }))
      for (let i = 0; i < page.count; i++)
        seen.push({ seq: page.first + i, type: page.types[i] as string, hash: page.hash(i) });
    const stored = raw.prepare('SELECT seq, type, hash FROM audit_entries ORDER BY seq').all();
    expect(seen).toEqual(stored);
  });

  describe('worker threads', () => {
    async function ranges() {
      const r = await (audit.hashedRanges as NonNullable<AuditArea['hashedRanges']>)();
      expect(r.worker).toMatchObject({ file: join(dir, 'state.db') });
      return r;
    }
    const jobs = (): RangeJob[] =>
      Array.from({ length: 18 }, (_, k) => ({
        kind: 'range',
        fromSeq: k === 0 ? 0 : k * 8 + 1,
        toSeq: k * 8 + 8,
        first: k * 8 + 1,
      }));

    it('read and check ranges on their own connections, and hand back what the walk needs', async () => {
      const pool = new VerifyPool(2);
      try {
        pool.prepareRanges(18, (await ranges()).worker, ['claim.made']);
        const queued = jobs();
        for (const job of queued) pool.queueRange(job);
        // Nothing is done on this thread: only the workers can answer.
        while (queued.some((j) => j.intact === undefined)) await pool.wait();
        for (const job of queued) {
          expect(job.intact).toBe(true);
          expect(job.range?.count).toBe(8);
          expect(job.range?.types.split('\n')).toHaveLength(8);
        }
        // seq 7 is a claim: its input (prevHash and body) came back, and only it.
        expect(queued[0]?.claims?.map(([i]) => i)).toEqual([6]);
        expect(queued[0]?.claims?.[0]?.[1]).toMatch(/^[0-9a-f]{64}\{"actor":"scheduler"/);
      } finally {
        await pool.close();
      }
    });

    it('a worker that cannot read the file hands the range back, and this thread reads', async () => {
      const pool = new VerifyPool(1);
      try {
        const worker = { ...(await ranges()).worker, file: join(dir, 'missing.db') } as {
          driver: string;
          file: string;
          sql: string;
        };
        pool.prepareRanges(18, worker, []);
        const queued = jobs();
        for (const job of queued) pool.queueRange(job);
        while (pool.workersRead) await pool.wait();
        expect(queued.every((j) => j.intact === undefined)).toBe(true);
        expect(pool.takeRange(queued[0])).toBe(queued[0]);
      } finally {
        await pool.close();
      }
      // And verify, with that worker, still gives the verdict.
      const unreadable: AuditArea = {
        ...audit,
        hashedRanges: async () => ({
          ...(await ranges()),
          worker: { ...(await ranges()).worker, file: join(dir, 'missing.db') } as never,
        }),
      };
      expect(await sameVerdicts(unreadable)).toMatchObject({ ok: true, entries: N });
    });
  });
});

describe('rangeIntact', () => {
  let gate: SqliteGate;
  let range: HashedRange;
  beforeEach(async () => {
    gate = new SqliteGate(':memory:');
    const audit = auditArea(gate);
    const log = new AuditLog(generateKeyPairSync('ed25519'), { checkpointEvery: 100 });
    for (let i = 1; i <= 5; i++)
      await log.record(audit, { type: 't', actor: 'a', subject: `s${i}`, data: { i } });
    const ranges = await (audit.hashedRanges as NonNullable<AuditArea['hashedRanges']>)();
    range = await ranges.read(0, 5);
  });
  afterEach(() => gate.db.close());

  it('holds an intact range, and nothing that differs from one', () => {
    expect(rangeIntact(range, 1, sha256HexOf)).toBe(true);
    const hashes = range.hashes.split(',');
    const broken: Partial<HashedRange>[] = [
      { seqs: '1,2,4,3,5' },
      { seqs: '1,2,3,4' },
      { count: 4 },
      { count: 6 },
      { hashes: hashes.reverse().join(',') },
      { hashes: range.hashes.replace(',', '') },
      { prevHashes: `${range.prevHashes.slice(0, 64)}x${range.prevHashes.slice(64)}` },
      {
        prevHashes:
          range.prevHashes.slice(0, 65) + range.prevHashes.slice(130, 195) + range.prevHashes.slice(65),
      },
      { inputs: range.inputs.replace('"s3"', '"s4"') },
      { inputs: range.inputs.replace('{"actor"', '\0') },
      { inputs: range.inputs.replace('"s3"', '"s\n3"') },
    ];
    for (const change of broken) expect(rangeIntact({ ...range, ...change }, 1, sha256HexOf)).toBe(false);
    expect(rangeIntact(range, 2, sha256HexOf)).toBe(false);
  });

  it('needs nothing from its module, as a worker runs its text', () => {
    const copy = new Function(`return ${rangeIntact.toString()}`)() as typeof rangeIntact;
    expect(copy(range, 1, sha256HexOf)).toBe(true);
    expect(copy({ ...range, seqs: '1,2,4,3,5' }, 1, sha256HexOf)).toBe(false);
    const of = new Function(`return ${hashedRangeOf.toString()}`)() as typeof hashedRangeOf;
    expect(of([1, '1', 'p', 'h', 't', 'i'])).toEqual({
      count: 1,
      seqs: '1',
      prevHashes: 'p',
      hashes: 'h',
      types: 't',
      inputs: 'i',
    });
  });
});
