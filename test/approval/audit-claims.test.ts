import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditClaimCheckers } from '../../src/approval/signing/audit-claims.js';
import { entryHash } from '../../src/audit/chain.js';
import { signBytes } from '../../src/audit/keys.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { parseConfig } from '../../src/config/load.js';
import { makeWorld, minutes, type World } from './fixture.js';

let w: World;
beforeEach(() => {
  w = makeWorld();
});
afterEach(async () => {
  await w.close();
});

/** Edit one audit row's data behind the store's back, optionally re-hashing it so only the claim check can notice. */
async function editEntry(seq: number, edit: (data: Record<string, unknown>) => void, rehash: boolean) {
  await w.store.close();
  const db = new Database(join(w.dir, 'state', 'nhi.db'));
  const row = db.prepare('SELECT * FROM audit_entries WHERE seq = ?').get(seq) as Record<string, string>;
  const data = JSON.parse(row.data as string) as Record<string, unknown>;
  edit(data);
  const hash = rehash
    ? entryHash({
        seq,
        ts: row.ts as string,
        type: row.type as string,
        actor: row.actor as string,
        subject: row.subject as string,
        data,
        prevHash: row.prev_hash as string,
      })
    : row.hash;
  db.prepare('UPDATE audit_entries SET data = ?, hash = ? WHERE seq = ?').run(
    JSON.stringify(data),
    hash,
    seq,
  );
  db.close();
}

async function reopenAndVerify(config = w.config) {
  const { openSqliteStore } = await import('../../src/store/sqlite/index.js');
  const store = openSqliteStore(join(w.dir, 'state', 'nhi.db'));
  try {
    return await verifyAudit(store.audit, w.auditKeys.publicKey, auditClaimCheckers(config));
  } finally {
    await store.close();
  }
}

/** The first decision adopts the signed policy: policy.pinned (seq 1) and policy.adopted (2) open the log. */
const P = 2;

/** Leaves: approval.refused (seq P+1), approval.recorded alice (P+2), approval.recorded bob (P+3). */
async function approvedPrivileged() {
  const req = await w.insertRequest({ tier: 'privileged' });
  await w.decide('dave', 'approve', req.id).catch(() => undefined);
  await w.decide('alice', 'approve', req.id);
  await w.decide('bob', 'approve', req.id, { now: minutes(3) });
  return req;
}

describe('offline re-verification of approval entries (nhi audit verify)', () => {
  it('passes on an untouched log and counts every approval signature', async () => {
    await approvedPrivileged();
    const verdict = await verifyAudit(w.store.audit, w.auditKeys.publicKey, auditClaimCheckers(w.config));
    // Two approvals and the policy adoption (the first pin is trusted on first use: no claim).
    expect(verdict).toMatchObject({ ok: true, entries: P + 3, checkedClaims: 3 });
  });

  it('fails when an approval entry’s signature is tampered, even with the row re-hashed', async () => {
    await approvedPrivileged();
    await editEntry(
      P + 3,
      (d) => {
        const proof = d.proof as Record<string, string>;
        const sig = Buffer.from(proof.signature as string, 'base64');
        sig[0] = (sig[0] ?? 0) ^ 0xff;
        proof.signature = sig.toString('base64');
      },
      true,
    );
    const verdict = await reopenAndVerify();
    expect(verdict.ok).toBe(false);
    expect(verdict.firstBad).toMatchObject({ seq: P + 3 });
    expect(verdict.firstBad?.reason).toMatch(/signature does not verify/);
  });

  it('fails when the edit is not re-hashed (the chain catches it first)', async () => {
    await approvedPrivileged();
    await editEntry(P + 2, (d) => Object.assign(d, { decision: 'deny' }), false);
    const verdict = await reopenAndVerify();
    expect(verdict.firstBad).toMatchObject({ seq: P + 2, reason: expect.stringMatching(/entry edited/) });
  });

  it('fails when an entry claims a different plan than its signature covers', async () => {
    await approvedPrivileged();
    await editEntry(P + 2, (d) => Object.assign(d, { planDigest: 'sha256:another-plan' }), true);
    const verdict = await reopenAndVerify();
    expect(verdict.firstBad?.seq).toBe(P + 2);
    expect(verdict.firstBad?.reason).toMatch(/another-plan/);
  });

  it('fails when an entry brings its own key and signature for a still-registered principal', async () => {
    const req = await approvedPrivileged();
    const mallory = w.keys.mallory!;
    await editEntry(
      P + 3,
      (d) => {
        const proof = d.proof as Record<string, string>;
        d.publicKey = mallory.publicKey.export({ type: 'spki', format: 'pem' }).toString();
        proof.signature = signBytes(mallory.privateKey, proof.signedPayload as string);
      },
      true,
    );
    const verdict = await reopenAndVerify();
    expect(verdict.firstBad?.seq).toBe(P + 3);
    expect(verdict.firstBad?.reason).toMatch(/not bob's registered key/);
    expect(req.id).toBeTruthy();
  });

  it('still verifies against the recorded key after the principal has left the registry', async () => {
    await approvedPrivileged();
    const raw = structuredClone(w.rawConfig) as {
      owners: { principals: Record<string, unknown>; teams: Record<string, string[]> };
    };
    delete raw.owners.principals.bob;
    raw.owners.teams.payments = ['alice'];
    const without = parseConfig(raw, { sourcePath: w.configPath, env: w.env });
    expect(Object.keys(without.owners.principals)).not.toContain('bob');
    await w.store.close();
    const verdict = await reopenAndVerify(without);
    expect(verdict).toMatchObject({ ok: true, checkedClaims: 3 });
  });
});
