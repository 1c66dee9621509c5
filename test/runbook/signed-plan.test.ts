/**
 * Issue 10, finding 1: the run executes the signed plan, recomputed; tier, owners and requester
 * come from what owners signed, never from the request row. Someone who can write the state
 * database edits the row between filing and running; against the local OpenBao, through the
 * CLI, every such edit is refused (exit 3) and the secret is left exactly as it was.
 */

import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalDigest } from '../../src/lib/canonical.js';
import { vaultApi, vaultFixture } from '../providers/vault.fixture.js';
import { filedRequest, inProcessCli, localConfig, scratchDir } from './local-app.js';

let configPath: string;
let dbPath: string;
let scratch: ReturnType<typeof scratchDir>;

const nhi = inProcessCli(() => configPath);

/** Rewrite a request row's JSON body directly in SQLite, as a database writer could. */
function editRequest(id: string, edit: (body: Record<string, unknown>) => void): void {
  const db = new Database(dbPath);
  try {
    const row = db.prepare('SELECT body FROM requests WHERE id = ?').get(id) as { body: string };
    const body = JSON.parse(row.body) as Record<string, unknown>;
    edit(body);
    db.prepare('UPDATE requests SET body = ? WHERE id = ?').run(JSON.stringify(body), id);
  } finally {
    db.close();
  }
}

function auditTypes(): { type: string; data: Record<string, unknown> }[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (
      db.prepare('SELECT type, data FROM audit_entries ORDER BY seq').all() as {
        type: string;
        data: string;
      }[]
    ).map((r) => ({ type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

async function seed(tag: string, metadata: Record<string, string>): Promise<string> {
  const ref = await vaultFixture.seed({ name: `${tag}-${Date.now().toString(36)}`, value: `old-${tag}` });
  const path = ref.slice(ref.indexOf(':kv:') + 4).replace(/^secret\//, '');
  await vaultApi('POST', `secret/metadata/${path}`, { custom_metadata: metadata });
  return ref;
}

async function file(ref: string): Promise<string> {
  const filed = await nhi(
    'request',
    ref,
    '--runbook',
    'vault-kv-recovery',
    '--reason',
    'INC-10',
    '--as',
    'carol',
  );
  expect(filed.code, filed.stderr).toBe(0);
  const { id, digest } = filedRequest(filed.stdout);
  digests.set(id, digest);
  return id;
}

/** The digest each filed request's owners review (passed as --digest: approve is non-interactive here). */
const digests = new Map<string, string>();
const approve = (id: string, owner: string) =>
  nhi('approve', id, '--as', owner, '--key', scratch.key(owner), '--digest', digests.get(id) ?? '');

beforeAll(() => {
  scratch = scratchDir('nhi-signed-plan-');
  configPath = localConfig(scratch.dir, 'signed-plan', { 'vault-test': 'vault-local' });
  dbPath = JSON.parse(readFileSync(configPath, 'utf8')).state.path;
});

describe('a run executes only the plan its owners signed (issue 10)', () => {
  it('a privileged request edited to standard with the attacker added as owner cannot be approved or run by them', async () => {
    const ref = await seed('priv', { owner: 'alice', tier: 'privileged' });
    const id = await file(ref);
    editRequest(id, (b) => {
      b.tier = 'standard';
      b.owners = ['alice', 'sec-oncall'];
    });
    const refused = await approve(id, 'sec-oncall');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/not-owner/);
    const run = await nhi('run', id, '--as', 'sec-oncall');
    expect(run.code).toBe(3);
    expect(await vaultFixture.liveVersionCount(ref)).toBe(1);
    // alice's single approval does not meet the signed privileged quorum of two, whatever the row says.
    expect((await approve(id, 'alice')).code).toBe(0);
    const second = await nhi('run', id, '--as', 'sec-oncall');
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/quorum|2 distinct owners/);
    expect(await vaultFixture.isUsable(ref, '1')).toBe(true);
  });

  it('an approved request whose stored plan was edited (revoke list emptied) is refused as plan-tampered, audited', async () => {
    const ref = await seed('plan', { owner: 'alice' });
    const id = await file(ref);
    expect((await approve(id, 'alice')).code).toBe(0);
    editRequest(id, (b) => {
      (b.plan as { revoke: { versions: unknown[] } }).revoke.versions = [];
    });
    const run = await nhi('run', id, '--as', 'bob');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/plan-tampered/);
    expect(await vaultFixture.isUsable(ref, '1')).toBe(true);
    expect(await vaultFixture.liveVersionCount(ref)).toBe(1);
    const refused = auditTypes().filter((e) => e.type === 'run.refused' && e.data.requestId === id);
    expect(refused.map((e) => e.data.rule)).toEqual(['plan-tampered']);
  });

  it('a plan re-pointed at another identity, digest and all, has no approval that counts', async () => {
    const ref = await seed('repoint', { owner: 'alice' });
    const other = await seed('victim', { owner: 'alice' });
    const id = await file(ref);
    expect((await approve(id, 'alice')).code).toBe(0);
    editRequest(id, (b) => {
      const plan = b.plan as { ref: string };
      plan.ref = other;
      b.ref = other;
      b.planDigest = canonicalDigest(plan);
    });
    const run = await nhi('run', id, '--as', 'bob');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/digest-mismatch|bad-signature/);
    expect(await vaultFixture.isUsable(other, '1')).toBe(true);
    expect(await vaultFixture.isUsable(ref, '1')).toBe(true);
  });

  it('a request whose requester, reason or expiry was edited after approval no longer matches what the owner signed', async () => {
    const ref = await seed('who', { owner: 'alice' });
    for (const edit of [
      (b: Record<string, unknown>) => {
        b.requester = 'bob';
      },
      (b: Record<string, unknown>) => {
        b.reason = 'routine';
      },
      (b: Record<string, unknown>) => {
        b.expiresAt = '2099-01-01T00:00:00.000Z';
      },
    ]) {
      const id = await file(ref);
      expect((await approve(id, 'alice')).code).toBe(0);
      editRequest(id, edit);
      const run = await nhi('run', id, '--as', 'sec-oncall');
      expect(run.code, run.stdout).toBe(3);
      expect(run.stderr).toMatch(/bad-signature/);
      expect(run.stderr).toMatch(/requester|reason|request expiry/);
    }
    expect(await vaultFixture.isUsable(ref, '1')).toBe(true);
  });

  it('an untouched request runs to completion (the checks do not refuse honest work)', async () => {
    const ref = await seed('honest', { owner: 'alice' });
    const id = await file(ref);
    expect((await approve(id, 'alice')).code).toBe(0);
    const run = await nhi('run', id, '--as', 'bob');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/: completed/);
    expect(await vaultFixture.isUsable(ref, '1')).toBe(false);
  });
});
