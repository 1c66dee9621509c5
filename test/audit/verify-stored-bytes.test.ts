/**
 * Issue 17: verify hashes the bytes the store holds (canonical `data`, stored at append) instead
 * of canonicalizing parsed JSON. Everything a reader gets from a row must still be under the
 * hash, entries written before the change must still verify, and an export file verified
 * offline must be held to the same rules.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointPayload, entryBody, entryHash } from '../../src/audit/chain.js';
import { exportAuditJsonl } from '../../src/audit/export.js';
import { auditExportSource } from '../../src/audit/export-source.js';
import { AuditLog, type AuditSigner } from '../../src/audit/log.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { canonicalJson } from '../../src/lib/canonical.js';
import { SqliteGate } from '../../src/store/sqlite/database.js';
import { auditArea } from '../../src/store/sqlite/engine-areas.js';
import type { AuditArea } from '../../src/store/store.js';

const newSigner = (): AuditSigner => generateKeyPairSync('ed25519');

describe('the canonical forms written out by hand', () => {
  it('entryBody is canonicalJson of the entry, given the canonical data', () => {
    fc.assert(
      fc.property(
        fc.record({
          seq: fc.nat(),
          ts: fc.string(),
          type: fc.string(),
          actor: fc.string({ unit: 'binary' }),
          subject: fc.string({ unit: 'binary' }),
          data: fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()),
        }),
        (e) => {
          const data = JSON.parse(JSON.stringify(e.data)) as Record<string, unknown>;
          let expected: string;
          try {
            expected = canonicalJson({ ...e, data });
          } catch {
            return; // no canonical form (a lone surrogate): nextEntry refuses such an event
          }
          expect(entryBody(e, canonicalJson(data))).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('checkpointPayload is canonicalJson({kind, seq, hash})', () => {
    fc.assert(
      fc.property(fc.nat(), fc.string({ unit: 'binary' }), (seq, hash) => {
        let expected: string;
        try {
          expected = canonicalJson({ kind: 'nhi-audit-checkpoint', seq, hash });
        } catch {
          return;
        }
        expect(checkpointPayload(seq, hash)).toBe(expected);
      }),
    );
  });
});

describe('verify over stored bytes (SQLite)', () => {
  let gate: SqliteGate;
  let audit: AuditArea;
  let signer: AuditSigner;
  let log: AuditLog;

  beforeEach(() => {
    gate = new SqliteGate(':memory:');
    audit = auditArea(gate);
    signer = newSigner();
    log = new AuditLog(signer, { checkpointEvery: 4 });
  });
  afterEach(() => gate.db.close());

  async function record(n: number): Promise<void> {
    for (let i = 1; i <= n; i++) {
      await gate.transaction(() =>
        log.record(audit, {
          type: 'finding.opened',
          actor: 'scheduler',
          subject: `ref-${i}`,
          // Keys out of canonical order, an integer-like key and a non-ASCII one.
          data: { z: i, a: { y: [1, 'two'], b: null }, '10': 'ten', '9': 'nine', é: 'e' },
        }),
      );
    }
  }
  const verify = () => verifyAudit(audit, signer.publicKey, {}, { checkpointEvery: 4 });
  const run = (sql: string, ...params: unknown[]) => gate.db.prepare(sql).run(...params);

  it('stores data as its canonical bytes, and each hash covers exactly them', async () => {
    await record(3);
    const rows = gate.db.prepare('SELECT data, prev_hash, hash FROM audit_entries').all() as {
      data: string;
      prev_hash: string;
      hash: string;
    }[];
    for (const row of rows) expect(row.data).toBe(canonicalJson(JSON.parse(row.data)));
    const entries = [];
    for await (const e of audit.entries()) entries.push(e);
    const bodies = [];
    for await (const page of audit.hashedEntries()) bodies.push(...page.map((e) => e.body));
    expect(bodies).toEqual(
      entries.map(({ seq, ts, type, actor, subject, data }) =>
        canonicalJson({ seq, ts, type, actor, subject, data }),
      ),
    );
    expect(await verify()).toMatchObject({ ok: true, entries: 3 });
  });

  it('still verifies entries written before data was stored canonical (JSON.stringify key order)', async () => {
    await record(9);
    // What the earlier writer stored: the same value, keys in the order the event had them.
    for (const row of gate.db.prepare('SELECT seq, data FROM audit_entries').all() as {
      seq: number;
      data: string;
    }[]) {
      const value = JSON.parse(row.data) as Record<string, unknown>;
      const reordered = Object.fromEntries(Object.entries(value).reverse());
      run('UPDATE audit_entries SET data = ? WHERE seq = ?', JSON.stringify(reordered), row.seq);
    }
    const first = (gate.db.prepare('SELECT data FROM audit_entries WHERE seq = 1').get() as { data: string })
      .data;
    expect(first).not.toBe(canonicalJson(JSON.parse(first)));
    expect(await verify()).toMatchObject({ ok: true, entries: 9, checkpoints: 2 });
    // ...and an edit of such an entry is still an edit.
    const row = gate.db.prepare('SELECT data FROM audit_entries WHERE seq = 6').get() as { data: string };
    run('UPDATE audit_entries SET data = ? WHERE seq = 6', row.data.replace('"ten"', '"eleven"'));
    expect((await verify()).firstBad).toEqual({ seq: 6, reason: expect.stringMatching(/edited/) });
  });

  it.each([
    ['ts', "'2020-01-01T00:00:00.000Z'"],
    ['type', "'finding.resolved'"],
    ['actor', "'mallory'"],
    ['subject', "'ref-x'"],
    ['data', `'{"a":{"b":null,"y":[1,"two"]}}'`],
    ['data', "json_set(data, '$.z', 3)"],
    // Same bytes as text, stored as a BLOB: a reader would get a Buffer, not the string hashed.
    ['actor', 'CAST(actor AS BLOB)'],
  ])('names an entry whose %s column was edited (%s)', async (column, value) => {
    await record(6);
    run(`UPDATE audit_entries SET ${column} = ${value} WHERE seq = 2`);
    expect((await verify()).firstBad).toEqual({ seq: 2, reason: expect.stringMatching(/edited/) });
  });

  it('gives a checker the entry parsed from the hashed bytes, and counts its claim', async () => {
    await record(5);
    const seen: unknown[] = [];
    const checker = (e: unknown) => {
      seen.push(e);
      return undefined;
    };
    const verdict = await verifyAudit(
      audit,
      signer.publicKey,
      { 'finding.opened': checker },
      { checkpointEvery: 4 },
    );
    expect(verdict).toMatchObject({ ok: true, checkedClaims: 5 });
    const stored = [];
    for await (const e of audit.entries()) stored.push(e);
    expect(seen).toEqual(stored);
  });

  it('an entry type named like an Object member finds no checker', async () => {
    await gate.transaction(() => log.record(audit, { type: 'constructor', actor: 'a', subject: 's' }));
    expect(await verify()).toMatchObject({ ok: true, checkedClaims: 0 });
  });
});

describe('verify --export: an export file is held to the same rules', () => {
  let dir: string;
  let gate: SqliteGate;
  let audit: AuditArea;
  let signer: AuditSigner;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nhi-audit-export-'));
    gate = new SqliteGate(':memory:');
    audit = auditArea(gate);
    signer = newSigner();
    const log = new AuditLog(signer, { checkpointEvery: 3 });
    for (let i = 1; i <= 8; i++)
      await gate.transaction(() =>
        log.record(audit, {
          type: 'request.filed',
          actor: `u${i}`,
          subject: `s${i}`,
          data: { n: i, q: 'a"b\\c\n' },
        }),
      );
  });
  afterEach(() => gate.db.close());

  async function exported(edit?: (lines: Record<string, unknown>[]) => void): Promise<string> {
    const file = join(dir, 'audit.jsonl');
    await exportAuditJsonl(audit, file);
    if (edit) {
      const lines = readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      edit(lines);
      writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    }
    return file;
  }
  const verifyFile = (file: string) =>
    verifyAudit(auditExportSource(file), signer.publicKey, {}, { checkpointEvery: 3 });

  it('verifies as the store does', async () => {
    const fromStore = await verifyAudit(audit, signer.publicKey, {}, { checkpointEvery: 3 });
    expect(fromStore.ok).toBe(true);
    expect(await verifyFile(await exported())).toEqual(fromStore);
  });

  it('verifies an export whose data keys are out of canonical order (an older writer)', async () => {
    const file = await exported((lines) => {
      for (const l of lines)
        if (l.kind === 'entry') l.data = Object.fromEntries(Object.entries(l.data as object).reverse());
    });
    expect(await verifyFile(file)).toMatchObject({ ok: true, entries: 8 });
  });

  it.each([
    ['data', (l: Record<string, unknown>) => ((l.data as Record<string, unknown>).n = 99)],
    ['actor', (l: Record<string, unknown>) => (l.actor = 'mallory')],
    ['ts', (l: Record<string, unknown>) => (l.ts = '2020-01-01T00:00:00.000Z')],
    ['subject (to a lone surrogate)', (l: Record<string, unknown>) => (l.subject = '\ud800')],
  ])('names an entry whose %s was edited in the file', async (_what, edit) => {
    const file = await exported((lines) => edit(lines[4] as Record<string, unknown>));
    expect((await verifyFile(file)).firstBad).toEqual({ seq: 5, reason: expect.stringMatching(/edited/) });
  });

  it('names a checkpoint whose signature was changed in the file', async () => {
    const file = await exported((lines) => {
      const cp = lines.find((l) => l.kind === 'checkpoint' && l.seq === 6) as Record<string, unknown>;
      cp.signature = Buffer.alloc(64).toString('base64');
    });
    expect((await verifyFile(file)).firstBad).toEqual({ seq: 6, reason: 'checkpoint signature is invalid' });
  });

  it('an edited entry re-hashed in the file breaks the link to the next one', async () => {
    const file = await exported((lines) => {
      const l = lines[3] as Parameters<typeof entryHash>[0];
      l.actor = 'mallory';
      (l as { hash?: string }).hash = entryHash(l);
    });
    expect((await verifyFile(file)).firstBad).toEqual({ seq: 5, reason: expect.stringMatching(/prevHash/) });
  });
});
