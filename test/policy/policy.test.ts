/**
 * The signed policy (issue 10): the owner registry, tiers and approval policy are a document
 * signed by its control owners, pinned in the audit log; decisions under an unsigned change
 * are refused with exit 2 naming the change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordDecision } from '../../src/approval/decisions/decide.js';
import { ownerRegistryFromConfig } from '../../src/approval/owners/owner-registry.js';
import { auditClaimCheckers } from '../../src/approval/signing/audit-claims.js';
import { entryHash, nextEntry } from '../../src/audit/chain.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { type Config, parseConfig } from '../../src/config/load.js';
import { AuditError, ConfigError } from '../../src/lib/errors.js';
import { policyDigestOf, policyDocument } from '../../src/policy/document.js';
import { requireSignedPolicy } from '../../src/policy/gate.js';
import { signaturesPath, signPolicy } from '../../src/policy/signatures.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { AuditEntry } from '../../src/store/types.js';
import { makeWorld, T0, type World } from '../approval/fixture.js';
import { signTestPolicy } from './sign.js';

type Raw = {
  owners: { principals: Record<string, { publicKey: string }>; breakGlass: string[] };
  policy: { privileged: { quorum: number }; controlOwners: { principals: string[]; quorum: number } };
};

let w: World;
beforeEach(() => {
  w = makeWorld();
});
afterEach(async () => {
  await w.close();
});

/** The world's config with `edit` applied, parsed the real way (same directory, same signatures file). */
function edited(edit: (raw: Raw) => void): Config {
  const raw = structuredClone(w.rawConfig) as unknown as Raw;
  edit(raw);
  return parseConfig(raw, { sourcePath: w.configPath, env: w.env });
}

const gate = (config: Config) => requireSignedPolicy({ store: w.store, audit: w.audit, config });

async function refusal(config: Config): Promise<ConfigError> {
  const error = await gate(config).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

/** Approve a fresh request as alice under `config`. */
async function approveUnder(config: Config) {
  const req = await w.insertRequest();
  return recordDecision(
    {
      store: w.store,
      audit: w.audit,
      config,
      notifier: w.notifier,
      registry: ownerRegistryFromConfig(config),
    },
    {
      requestId: req.id,
      principal: 'alice',
      decision: 'approve',
      privateKey: w.keys.alice!.privateKey,
      now: T0,
    },
  );
}

const addMallory = (raw: Raw) => {
  raw.owners.principals.mallory = { publicKey: 'file:./keys/mallory.pub' };
};

describe('adoption and pinning', () => {
  it('the first decision pins the control owners and adopts the signed policy; decisions record its digest', async () => {
    const req = await w.insertRequest();
    await w.decide('alice', 'approve', req.id);
    const [pinned, adopted, approval] = await w.entries();
    expect(pinned).toMatchObject({ type: 'policy.pinned', data: { controlOwners: { quorum: 1 } } });
    const pinnedOwners = pinned?.data.controlOwners as {
      principals: Record<string, { keyId: string; publicKey: string }>;
    };
    const sec = pinnedOwners.principals.sec;
    expect(sec?.publicKey).toContain('BEGIN PUBLIC KEY');
    expect(adopted).toMatchObject({
      type: 'policy.adopted',
      data: { signers: ['sec'], previousDigest: null },
    });
    const digest = policyDigestOf(policyDocument(w.config));
    expect(adopted?.data.policyDigest).toBe(digest);
    expect(approval).toMatchObject({ type: 'approval.recorded', data: { policyDigest: digest } });
  });

  it('a policy.pinned entry written into the database by hand (chained, but no signed checkpoint) is not believed', async () => {
    const req = await w.insertRequest();
    await w.decide('alice', 'approve', req.id);
    // Pin mallory as the only control owner: a valid chain link, as a database writer can append.
    const head = (await w.entries()).at(-1) as AuditEntry;
    const mallory = w.keys.mallory?.publicKey.export({ type: 'spki', format: 'pem' }).toString() ?? '';
    const forged = nextEntry(
      head,
      {
        type: 'policy.pinned',
        actor: 'nhi',
        subject: 'sha256:forged',
        data: {
          policyDigest: 'sha256:forged',
          controlOwners: { quorum: 1, principals: { mallory: { keyId: 'x', publicKey: mallory } } },
        },
      },
      T0.toISOString(),
    );
    await w.store.audit.append(forged);
    const error = await gate(w.config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditError);
    expect((error as AuditError).message).toMatch(
      new RegExp(
        `policy.pinned entry at audit seq ${forged.seq} is not covered by a checkpoint signed by the audit key`,
      ),
    );
    const second = await w.insertRequest();
    await expect(w.decide('alice', 'approve', second.id)).rejects.toBeInstanceOf(AuditError);
  });

  it('refuses an unsigned first policy, and a missing controlOwners, with a ConfigError', async () => {
    writeFileSync(
      signaturesPath(w.config),
      JSON.stringify({ kind: 'nhi-policy-signatures', version: 1, signatures: [] }),
    );
    const e = await refusal(w.config);
    expect(e.message).toMatch(/0 of 1 signature\(s\) by sec/);
    expect(e.message).toMatch(/no policy has been adopted yet/);
    expect(e.message).toMatch(/nhi policy sign --as <sec> --key/);
    const bare = structuredClone(w.rawConfig) as { policy: Record<string, unknown> };
    delete bare.policy.controlOwners;
    const none = parseConfig(bare, { sourcePath: w.configPath, env: w.env });
    await expect(gate(none)).rejects.toThrow(/policy.controlOwners is not set/);
    expect(await w.entries()).toEqual([]);
  });
});

describe('a config edited after adoption', () => {
  beforeEach(async () => {
    await gate(w.config);
  });

  it.each([
    ['a principal added', addMallory, /owners\.principals\.mallory: added \(key ed25519:/],
    [
      'a lowered quorum',
      (raw: Raw) => {
        raw.policy.privileged.quorum = 1;
      },
      /policy\.privileged\.quorum: 2 → 1/,
    ],
    [
      'someone added to break-glass',
      (raw: Raw) => {
        raw.owners.breakGlass.push('carol');
      },
      /owners\.breakGlass: added carol/,
    ],
  ])('%s is refused, naming the change, until the control owner signs', async (_what, edit, change) => {
    const config = edited(edit);
    const e = await refusal(config);
    expect(e.message).toMatch(change);
    expect(e.message).toMatch(/changed since the adopted policy sha256:/);
    await expect(approveUnder(config)).rejects.toBeInstanceOf(ConfigError);

    const before = (await w.entries('policy.adopted'))[0]?.data.policyDigest as string;
    signTestPolicy(config, { sec: w.keys.sec!.privateKey }, { previousDigest: before });
    const outcome = await approveUnder(config);
    expect(outcome.requestStatus).toBe('approved');
    const adopted = await w.entries('policy.adopted');
    expect(adopted).toHaveLength(2);
    expect(adopted[1]).toMatchObject({
      actor: 'sec',
      data: {
        signers: ['sec'],
        previousDigest: before,
        policyDigest: policyDigestOf(policyDocument(config)),
      },
    });
  });

  it('a signature by someone who is not a control owner does not count', async () => {
    const config = edited(addMallory);
    signTestPolicy(config, { alice: w.keys.alice!.privateKey, mallory: w.keys.mallory!.privateKey });
    const e = await refusal(config);
    expect(e.message).toMatch(/ignored signature by alice: alice is not a control owner/);
  });

  it('a signature made for the change from another policy does not count (no rollback)', async () => {
    const config = edited(addMallory);
    signTestPolicy(config, { sec: w.keys.sec!.privateKey }, { previousDigest: null });
    expect((await refusal(config)).message).toMatch(/signed it as a change from \(no policy\)/);
  });

  it("changing a control owner's key in config, signed with the new key, is refused: the pinned key counts", async () => {
    const config = edited((raw) => {
      raw.owners.principals.sec = { publicKey: 'file:./keys/mallory.pub' };
      delete raw.owners.principals.mallory;
    });
    const before = (await w.entries('policy.adopted'))[0]?.data.policyDigest as string;
    signTestPolicy(config, { sec: w.keys.mallory!.privateKey }, { previousDigest: before });
    const e = await refusal(config);
    expect(e.message).toMatch(/policy\.controlOwners\.principals\.sec\.keyId: ed25519:\S+ → ed25519:/);
    expect(e.message).toMatch(/ignored signature by sec: sec: signed with key/);
  });

  it('new control owners named in config need the pinned ones; once adopted, they are pinned', async () => {
    const config = edited((raw) => {
      raw.policy.controlOwners = { principals: ['alice'], quorum: 1 };
    });
    const before = (await w.entries('policy.adopted'))[0]?.data.policyDigest as string;
    signTestPolicy(config, { alice: w.keys.alice!.privateKey }, { previousDigest: before });
    expect((await refusal(config)).message).toMatch(/alice is not a control owner/);
    signTestPolicy(config, { sec: w.keys.sec!.privateKey }, { previousDigest: before });
    await gate(config);
    const types = (await w.entries()).map((e) => e.type);
    expect(types).toEqual(['policy.pinned', 'policy.adopted', 'policy.adopted', 'policy.pinned']);
    // From now on sec's signature no longer counts; alice's does.
    const next = edited((raw) => {
      raw.policy.controlOwners = { principals: ['alice'], quorum: 1 };
      raw.policy.privileged.quorum = 1;
    });
    const current = policyDigestOf(policyDocument(config));
    signTestPolicy(next, { sec: w.keys.sec!.privateKey }, { previousDigest: current });
    expect((await refusal(next)).message).toMatch(/sec is not a control owner/);
    signTestPolicy(next, { alice: w.keys.alice!.privateKey }, { previousDigest: current });
    await gate(next);
    const verdict = await verifyAudit(w.store.audit, w.auditKeys.publicKey, auditClaimCheckers(next));
    expect(verdict).toMatchObject({ ok: true });
  });

  it('a quorum counts distinct keys: the same owner signing twice is one signature', async () => {
    const before = (await w.entries('policy.adopted'))[0]?.data.policyDigest as string;
    // Adopt (and pin) 2-of-2 control owners first, signed by sec alone under the 1-of-1 pin.
    const two = edited((raw) => {
      raw.policy.controlOwners = { principals: ['sec', 'alice'], quorum: 2 };
    });
    signTestPolicy(two, { sec: w.keys.sec!.privateKey }, { previousDigest: before });
    await gate(two);
    const twoDigest = policyDigestOf(policyDocument(two));
    const lowered = edited((raw) => {
      raw.policy.controlOwners = { principals: ['sec', 'alice'], quorum: 2 };
      raw.policy.privileged.quorum = 1;
    });
    const digest = policyDigestOf(policyDocument(lowered));
    const sig = (at: string) =>
      signPolicy(w.keys.sec!.privateKey, {
        policyDigest: digest,
        previousDigest: twoDigest,
        principal: 'sec',
        signedAt: at,
      });
    writeFileSync(
      signaturesPath(lowered),
      JSON.stringify({
        kind: 'nhi-policy-signatures',
        version: 1,
        signatures: [sig('2030-01-01T00:00:00Z'), sig('2030-01-01T00:01:00Z')],
      }),
    );
    expect((await refusal(lowered)).message).toMatch(/1 of 2 signature\(s\)/);
    signTestPolicy(lowered, { alice: w.keys.alice!.privateKey }, { previousDigest: twoDigest });
    await gate(lowered);
  });
});

describe('nhi audit verify re-checks adoptions offline', () => {
  async function tamper(seq: number, edit: (data: Record<string, unknown>) => void): Promise<void> {
    await w.store.close();
    const db = new Database(join(w.dir, 'state', 'nhi.db'));
    const row = db.prepare('SELECT * FROM audit_entries WHERE seq = ?').get(seq) as Record<string, string>;
    const data = JSON.parse(row.data as string) as Record<string, unknown>;
    edit(data);
    const entry = {
      seq,
      ts: row.ts as string,
      type: row.type as string,
      actor: row.actor as string,
      subject: row.subject as string,
      data,
      prevHash: row.prev_hash as string,
    };
    db.prepare('UPDATE audit_entries SET data = ?, hash = ? WHERE seq = ?').run(
      JSON.stringify(data),
      entryHash(entry),
      seq,
    );
    db.close();
  }
  async function verify() {
    const store = openSqliteStore(join(w.dir, 'state', 'nhi.db'));
    try {
      return await verifyAudit(store.audit, w.auditKeys.publicKey, auditClaimCheckers(w.config));
    } finally {
      await store.close();
    }
  }

  it('passes untouched; fails on an adopted document edited (re-hashed) or a forged signature', async () => {
    const req = await w.insertRequest();
    await w.decide('alice', 'approve', req.id);
    const adoptedSeq = ((await w.entries('policy.adopted'))[0] as AuditEntry).seq;
    expect(
      await verifyAudit(w.store.audit, w.auditKeys.publicKey, auditClaimCheckers(w.config)),
    ).toMatchObject({
      ok: true,
    });

    // Someone with the store writes mallory into the adopted document and "re-signs" as sec with her key.
    await tamper(adoptedSeq, (d) => {
      const doc = d.document as Raw;
      (doc.owners.principals as Record<string, unknown>).mallory = { keyId: 'ed25519:00', publicKey: 'x' };
    });
    let verdict = await verify();
    expect(verdict.firstBad).toMatchObject({
      seq: adoptedSeq,
      reason: expect.stringMatching(/does not hash/),
    });

    w.store = openSqliteStore(join(w.dir, 'state', 'nhi.db'));
    await tamper(adoptedSeq, (d) => {
      const doc = d.document as Raw;
      delete (doc.owners.principals as Record<string, unknown>).mallory;
      const digest = policyDigestOf(d.document as never);
      d.policyDigest = digest;
      d.signatures = [
        signPolicy(w.keys.mallory!.privateKey, {
          policyDigest: digest,
          previousDigest: null,
          principal: 'sec',
          signedAt: T0.toISOString(),
        }),
      ];
    });
    verdict = await verify();
    expect(verdict.firstBad?.seq).toBe(adoptedSeq);
    expect(verdict.firstBad?.reason).toMatch(
      /0 of 1 valid signature\(s\) by the pinned control owners; sec: signed with key/,
    );
    w.store = openSqliteStore(join(w.dir, 'state', 'nhi.db'));
  });
});

it('the signatures file is JSON next to the config, one entry per signature', () => {
  const file = JSON.parse(readFileSync(signaturesPath(w.config), 'utf8'));
  expect(file).toMatchObject({
    kind: 'nhi-policy-signatures',
    version: 1,
    signatures: [{ principal: 'sec' }],
  });
  expect(JSON.parse(file.signatures[0].proof.signedPayload)).toMatchObject({ kind: 'nhi-policy-signature' });
});
