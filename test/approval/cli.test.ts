import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import { runCli } from '../../src/cli/program.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { AuditEntry, RecoveryRequest } from '../../src/store/types.js';
import { requestFixture, textSink, writeWorldFiles } from './fixture.js';

let files: ReturnType<typeof writeWorldFiles>;
let request: RecoveryRequest;
const dbPath = () => join(files.dir, 'state', 'nhi.db');

beforeEach(async () => {
  files = writeWorldFiles();
  // The CLI uses the real clock, so the request is filed "now".
  const now = new Date();
  request = requestFixture({
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
  });
  const store = openSqliteStore(dbPath());
  await store.requests.insert(request);
  await store.close();
});
afterEach(() => {
  rmSync(files.dir, { recursive: true, force: true });
});

async function nhi(...args: string[]) {
  const stdout = textSink();
  const stderr = textSink();
  const code = await runCli(['--config', files.configPath, ...args], { stdout, stderr, env: files.env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

async function auditEntries(): Promise<AuditEntry[]> {
  const store = openSqliteStore(dbPath());
  const out: AuditEntry[] = [];
  for await (const e of store.audit.entries()) out.push(e);
  await store.close();
  return out;
}

describe('nhi approve / nhi deny', () => {
  it('exits 3 on self-approval, names the rule, and leaves an approval.refused entry', async () => {
    const r = await nhi(
      'approve',
      request.id,
      '--as',
      'carol',
      '--key',
      files.keys.carol!.keyPath,
      '--digest',
      request.planDigest,
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refused \(self-approval\)/);
    const entries = await auditEntries();
    // The signed policy was adopted first (policy.pinned, policy.adopted); then the refusal.
    const decisions = entries.filter((e) => !e.type.startsWith('policy.'));
    expect(decisions.map((e) => [e.type, e.data.rule])).toEqual([['approval.refused', 'self-approval']]);
  });

  it('exits 3 when the key file is not the registered key of --as', async () => {
    const r = await nhi(
      'approve',
      request.id,
      '--as',
      'alice',
      '--key',
      files.keys.mallory!.keyPath,
      '--digest',
      request.planDigest,
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refused \(bad-signature\)/);
  });

  it('approves, printing the quorum and readiness; --json gives the outcome', async () => {
    const r = await nhi(
      'approve',
      request.id,
      '--as',
      'alice',
      '--key',
      files.keys.alice!.keyPath,
      '--comment',
      'ok',
      '--digest',
      request.planDigest,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^approved by alice \(1 of 1 required\); ready to run/);
    const again = await nhi(
      '--json',
      'approve',
      request.id,
      '--as',
      'alice',
      '--key',
      files.keys.alice!.keyPath,
      '--digest',
      request.planDigest,
    );
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/duplicate-approval/);
  });

  it('nhi status counts approvals as the run gate does: a planted row is shown but does not count', async () => {
    const store = openSqliteStore(dbPath());
    await store.approvals.insert({
      id: 'apr_planted',
      requestId: request.id,
      principal: 'bob',
      decision: 'approve',
      planDigest: request.planDigest,
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      proof: { method: 'ed25519', keyId: 'ed25519:00', signature: 'AAAA', signedPayload: '{}' },
    });
    await store.close();
    const list = await nhi('status');
    expect(list.stdout).toMatch(new RegExp(`${request.id}.*0/1`));
    const one = await nhi('status', request.id);
    expect(one.stdout).toContain('Quorum: 0 of 1 verified approval(s)');
    expect(one.stdout).toMatch(/approve by bob .*\[does not count: bad-signature: /);
    const approved = await nhi(
      'approve',
      request.id,
      '--as',
      'alice',
      '--key',
      files.keys.alice!.keyPath,
      '--digest',
      request.planDigest,
    );
    expect(approved.code, approved.stderr).toBe(0);
    expect((await nhi('status', request.id)).stdout).toContain(
      'Quorum: 1 of 1 verified approval(s) (alice), met',
    );
  });

  it('not on a terminal and without --digest nobody saw the plan: exit 2 naming the digest, nothing signed', async () => {
    for (const decision of ['approve', 'deny']) {
      const r = await nhi(decision, request.id, '--as', 'alice', '--key', files.keys.alice!.keyPath);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`pass --digest ${request.planDigest}`);
    }
    expect((await auditEntries()).filter((e) => e.type.startsWith('approval.'))).toEqual([]);
  });

  it('--json prints the recorded decision; --digest must match the plan', async () => {
    const stale = await nhi(
      'deny',
      request.id,
      '--as',
      'bob',
      '--key',
      files.keys.bob!.keyPath,
      '--digest',
      'sha256:old',
    );
    expect(stale.code).toBe(3);
    expect(stale.stderr).toMatch(/refused \(digest-mismatch\)/);
    const r = await nhi(
      '--json',
      'deny',
      request.id,
      '--as',
      'bob',
      '--key',
      files.keys.bob!.keyPath,
      '--digest',
      request.planDigest,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      requestStatus: 'denied',
      approval: { principal: 'bob', decision: 'deny' },
    });
  });

  it('exits 2 for a key file others can read, or one that is not an Ed25519 private key, without touching the log', async () => {
    chmodSync(files.keys.alice!.keyPath, 0o644);
    const open = await nhi(
      'approve',
      request.id,
      '--as',
      'alice',
      '--key',
      files.keys.alice!.keyPath,
      '--digest',
      request.planDigest,
    );
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/chmod 600/);
    const notAKey = join(files.dir, 'not-a-key.pem');
    writeFileSync(notAKey, 'hello', { mode: 0o600 });
    const bad = await nhi(
      'approve',
      request.id,
      '--as',
      'alice',
      '--key',
      notAKey,
      '--digest',
      request.planDigest,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a usable Ed25519 private key/);
    const pub = join(files.dir, 'keys', 'alice.pub');
    chmodSync(pub, 0o600);
    expect(
      (await nhi('approve', request.id, '--as', 'alice', '--key', pub, '--digest', request.planDigest)).code,
    ).toBe(2);
    expect(await auditEntries()).toHaveLength(0);
  });
});

describe('nhi approve / nhi deny after a break-glass run: the retrospective review', () => {
  let bg: RecoveryRequest;
  const runId = 'run_break-glass-1';
  beforeEach(async () => {
    const now = new Date();
    bg = requestFixture({
      owners: ['alice', 'bob', 'sec'],
      status: 'completed',
      reviewRequired: true,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    });
    // Rows with the entries their writers record (requests.ts, runs.ts, executor.ts): `nhi audit
    // verify` cross-checks every row against its entry.
    const store = openSqliteStore(dbPath());
    const audit = new AuditLog(files.auditKeys);
    await store.transaction(async (tx) => {
      await tx.requests.insert(bg);
      // The outer beforeEach filed `request` without its entry; give both theirs.
      for (const r of [request, bg]) {
        await audit.record(tx.audit, {
          type: 'request.created',
          actor: r.requester,
          subject: r.id,
          data: {
            ref: r.ref,
            runbook: r.runbookId,
            planDigest: r.planDigest,
            tier: r.tier,
            owners: r.owners,
            reason: r.reason,
            expiresAt: r.expiresAt,
          },
        });
      }
      await tx.runs.insert({
        id: runId,
        requestId: bg.id,
        executor: 'sec',
        status: 'completed',
        breakGlass: true,
        breakGlassReason: 'INC-43',
        startedAt: now.toISOString(),
        finishedAt: now.toISOString(),
        facts: { mode: 'break-glass', approvers: [], approvalIds: [] },
      });
      await audit.record(tx.audit, {
        type: 'run.break-glass',
        actor: 'sec',
        subject: runId,
        data: {
          requestId: bg.id,
          ref: bg.ref,
          planDigest: bg.planDigest,
          approvers: [],
          approvalIds: [],
          reason: 'INC-43',
        },
      });
      await audit.record(tx.audit, {
        type: 'run.completed',
        actor: 'sec',
        subject: runId,
        data: { ref: bg.ref },
      });
    });
    await store.close();
  });

  it('status shows the pending review; the executor is refused (exit 3); an owner endorses (exit 0)', async () => {
    expect((await nhi('status')).stdout).toMatch(/break-glass: REVIEW pending/);
    const executor = await nhi(
      'approve',
      bg.id,
      '--as',
      'sec',
      '--key',
      files.keys.sec!.keyPath,
      '--digest',
      bg.planDigest,
    );
    expect(executor.code).toBe(3);
    expect(executor.stderr).toMatch(/refused \(break-glass-executor\)/);

    const r = await nhi(
      'approve',
      bg.id,
      '--as',
      'alice',
      '--key',
      files.keys.alice!.keyPath,
      '--digest',
      bg.planDigest,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^break-glass run ${runId} \\(by sec\\) endorsed by alice`));
    expect((await nhi('status')).stdout).toMatch(/break-glass endorsed by alice/);
    const detail = await nhi('status', bg.id);
    expect(detail.stdout).toMatch(
      new RegExp(`request ${bg.id}: completed  \\[break-glass endorsed by alice at `),
    );
    expect(detail.stdout).toMatch(/review: break-glass endorsed by alice/);

    const verify = await nhi('audit', 'verify');
    expect(verify.code, verify.stderr).toBe(0);
    const types = (await auditEntries()).map((e) => e.type);
    expect(types).toContain('review.recorded');
  });

  it('a dispute exits 0, is shown by status, and a later endorsement exits 3', async () => {
    const r = await nhi(
      '--json',
      'deny',
      bg.id,
      '--as',
      'bob',
      '--key',
      files.keys.bob!.keyPath,
      '--digest',
      bg.planDigest,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      requestStatus: 'completed',
      review: { outcome: 'disputed', principal: 'bob', runId, executor: 'sec' },
      approval: { purpose: 'retrospective-review' },
    });
    expect((await nhi('status')).stdout).toMatch(/break-glass DISPUTED by bob/);
    const later = await nhi(
      'approve',
      bg.id,
      '--as',
      'alice',
      '--key',
      files.keys.alice!.keyPath,
      '--digest',
      bg.planDigest,
    );
    expect(later.code).toBe(3);
    expect(later.stderr).toMatch(/refused \(already-reviewed\)/);
  });
});
