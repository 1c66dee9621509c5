/**
 * `nhi audit verify` cross-checks the state store against the audit log: real flows (the
 * engine on a temp SQLite store with the fake provider, and once the built CLI against the
 * local OpenBao) make requests, approvals, reviews, runs, resumes and lineage; then rows are
 * edited or deleted with a second SQLite connection, as someone with write access to the
 * state file would, and the cross-check must name each bad row while the chain stays intact.
 */
import { execFile } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { recordDecision } from '../../src/approval/decisions/decide.js';
import { ownerRegistryFromConfig } from '../../src/approval/owners/owner-registry.js';
import { auditClaimCheckers } from '../../src/approval/signing/audit-claims.js';
import { crossCheckFailure, crossCheckStore, crossCheckSummary } from '../../src/audit/cross-check/index.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { canonicalDigest } from '../../src/lib/canonical.js';
import type { Plan } from '../../src/runbook/plan-types.js';
import { createRequest } from '../../src/runbook/requests.js';
import { resumeRun, startRun } from '../../src/runbook/runs.js';
import type { ApprovalRecord, AuditEntry, RecoveryRequest } from '../../src/store/types.js';
import { vaultFixture } from '../providers/vault.fixture.js';
import { createHarness, type Harness } from '../runbook/harness.js';
import { approvedRequest, CLI, localConfig, scratchDir } from '../runbook/local-app.js';

interface History {
  h: Harness;
  /** Approved by alice, run by carol to completion: one lineage row. */
  approved: { requestId: string; runId: string; approvalId: string; lineageId: string };
  /** Break-glass by sec, reissue failing into needs-attention, resumed to completion, endorsed by alice. */
  breakGlass: { requestId: string; runId: string; reviewId: string; lineageId: string };
  /** Denied by bob before any run. */
  denied: { requestId: string; approvalId: string };
}

async function makeHistory(): Promise<History> {
  const h = createHarness();
  const approvedId = await h.approvedRequest('payments/db');
  const run1 = await startRun(h.deps, { requestId: approvedId, executor: 'carol' });
  expect(run1.status).toBe('completed');

  const bgRef = h.provider.seed('payments/api', 'old-api', { owner: 'alice' });
  const bg = await createRequest(h.deps, {
    ref: bgRef,
    runbookId: 'aws-secret-recovery',
    reason: 'INC-7: active exfiltration',
    requester: 'carol',
  });
  h.provider.failReissue = 3;
  const failed = await startRun(h.deps, {
    requestId: bg.id,
    executor: 'sec',
    breakGlass: { reason: 'INC-7: active exfiltration' },
  });
  expect(failed.status).toBe('needs-attention');
  expect((await resumeRun(h.deps, failed.id, 'sec')).status).toBe('completed');
  await h.approve(bg.id, 'alice'); // after a break-glass run: alice's retrospective review

  const deniedRef = h.provider.seed('payments/cache', 'old-cache', { owner: 'payments' });
  const denied = await createRequest(h.deps, {
    ref: deniedRef,
    runbookId: 'aws-secret-recovery',
    reason: 'INC-8',
    requester: 'carol',
  });
  await recordDecision(
    { ...h.deps, registry: ownerRegistryFromConfig(h.config) },
    {
      requestId: denied.id,
      principal: 'bob',
      decision: 'deny',
      now: new Date(),
      privateKey: h.keys.bob as KeyObject,
    },
  );

  const one = async (requestId: string) => {
    const [approval] = await h.store.approvals.forRequest(requestId);
    const [run] = await h.store.runs.forRequest(requestId);
    const request = await h.store.requests.get(requestId);
    const [lineage] = request ? await h.store.lineage.forRef(request.ref) : [];
    return { approvalId: approval?.id ?? '', runId: run?.id ?? '', lineageId: lineage?.id ?? '' };
  };
  const a = await one(approvedId);
  const b = await one(bg.id);
  const d = await one(denied.id);
  return {
    h,
    approved: { requestId: approvedId, runId: a.runId, approvalId: a.approvalId, lineageId: a.lineageId },
    breakGlass: { requestId: bg.id, runId: b.runId, reviewId: b.approvalId, lineageId: b.lineageId },
    denied: { requestId: denied.id, approvalId: d.approvalId },
  };
}

/** Edit a row's JSON body in place through another connection to the state file. */
function editRow(
  h: Harness,
  table: 'requests' | 'approvals' | 'runs' | 'lineage',
  id: string,
  edit: (body: Record<string, unknown>) => void,
): void {
  const db = new Database(h.config.state.path);
  try {
    const row = db.prepare(`SELECT body FROM ${table} WHERE id = ?`).get(id) as { body: string };
    const body = JSON.parse(row.body) as Record<string, unknown>;
    edit(body);
    db.prepare(`UPDATE ${table} SET body = ? WHERE id = ?`).run(JSON.stringify(body), id);
  } finally {
    db.close();
  }
}

function deleteRow(h: Harness, table: 'approvals' | 'lineage', id: string): void {
  const db = new Database(h.config.state.path);
  try {
    expect(db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(id).changes).toBe(1);
  } finally {
    db.close();
  }
}

/** One different base64 character, as a flipped bit would leave. */
function flipped(signature: string): string {
  const i = Math.floor(signature.length / 2);
  return signature.slice(0, i) + (signature[i] === 'A' ? 'B' : 'A') + signature.slice(i + 1);
}

async function entries(h: Harness, type: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of h.store.audit.entries()) if (e.type === type) out.push(e);
  return out;
}

async function chainIntact(h: Harness): Promise<void> {
  const verdict = await verifyAudit(h.store.audit, h.auditPublicKey, auditClaimCheckers(h.config));
  expect(verdict.ok, verdict.firstBad?.reason).toBe(true);
}

describe('cross-check of store rows against the audit log', () => {
  it('passes an untampered history, counting every row', async () => {
    const { h } = await makeHistory();
    await chainIntact(h);
    const verdict = await crossCheckStore(h.store);
    expect(verdict.problems).toEqual([]);
    expect(verdict).toMatchObject({
      ok: true,
      problemCount: 0,
      rows: { request: 3, approval: 3, run: 2, lineage: 2 },
    });
    expect(crossCheckSummary(verdict)).toBe(
      '3 request, 3 approval, 2 run, 2 lineage row(s) cross-checked against their audit entries',
    );
  });

  it('names an approval row whose signature has one flipped byte (the chain itself is intact)', async () => {
    const { h, approved } = await makeHistory();
    editRow(h, 'approvals', approved.approvalId, (body) => {
      const proof = body.proof as { signature: string };
      proof.signature = flipped(proof.signature);
    });
    await chainIntact(h);
    const verdict = await crossCheckStore(h.store);
    const [entry] = (await entries(h, 'approval.recorded')).filter(
      (e) => e.data.approvalId === approved.approvalId,
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([
      {
        kind: 'approval',
        id: approved.approvalId,
        problem: `proof differs from its approval.recorded entry (seq ${entry?.seq})`,
        seq: entry?.seq,
      },
    ]);
    expect(crossCheckFailure(verdict)).toContain(
      `approval ${approved.approvalId}: proof differs from its approval.recorded entry (seq ${entry?.seq})`,
    );
  });

  const requestEdits: Record<string, unknown> = {
    tier: 'privileged',
    owners: ['alice', 'mallory'],
    requester: 'bob',
  };
  it.each(Object.keys(requestEdits))(
    'names a request row whose %s was edited after filing',
    async (field) => {
      const { h, denied } = await makeHistory();
      editRow(h, 'requests', denied.requestId, (body) => {
        expect(body[field]).not.toEqual(requestEdits[field]);
        body[field] = requestEdits[field];
      });
      await chainIntact(h);
      const verdict = await crossCheckStore(h.store);
      const [created] = (await entries(h, 'request.created')).filter((e) => e.subject === denied.requestId);
      expect(verdict.problems).toContainEqual({
        kind: 'request',
        id: denied.requestId,
        problem: `${field} differs from its request.created entry (seq ${created?.seq})`,
        seq: created?.seq,
      });
      if (field !== 'requester') {
        // The stored plan, which owners signed, says otherwise too.
        expect(verdict.problems).toContainEqual({
          kind: 'request',
          id: denied.requestId,
          problem: `${field} differs from its stored plan`,
        });
      }
      expect(verdict.problems.every((p) => p.id === denied.requestId)).toBe(true);
    },
  );

  it('names a request whose stored plan was edited (revoke list emptied)', async () => {
    const { h, approved } = await makeHistory();
    editRow(h, 'requests', approved.requestId, (body) => {
      (body.plan as { revoke: { versions: unknown[] } }).revoke.versions = [];
    });
    const verdict = await crossCheckStore(h.store);
    expect(verdict.problems.map((p) => `${p.kind} ${p.id}: ${p.problem}`)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^request ${approved.requestId}: plan.revoke differs from its request.created entry \\(seq \\d+\\)$`,
        ),
      ),
      `request ${approved.requestId}: stored plan does not hash to its planDigest (plan edited after filing)`,
    ]);
  });

  it('names a deleted approval row by the entry that recorded it', async () => {
    const { h, denied } = await makeHistory();
    deleteRow(h, 'approvals', denied.approvalId);
    const verdict = await crossCheckStore(h.store);
    const [entry] = (await entries(h, 'approval.recorded')).filter(
      (e) => e.data.approvalId === denied.approvalId,
    );
    expect(verdict.rows.approval).toBe(2);
    expect(verdict.problems).toEqual([
      {
        kind: 'approval',
        id: denied.approvalId,
        problem: `recorded by approval.recorded entry (seq ${entry?.seq}) but its row is missing (deleted?)`,
        seq: entry?.seq,
      },
    ]);
  });

  it('names an edited lineage row by the fields that differ, and a deleted one by its entry', async () => {
    const { h, approved, breakGlass } = await makeHistory();
    editRow(h, 'lineage', approved.lineageId, (body) => {
      (body.newVersion as { versionId: string }).versionId = 'v-forged';
      body.approvers = ['alice', 'bob'];
    });
    deleteRow(h, 'lineage', breakGlass.lineageId);
    const verdict = await crossCheckStore(h.store);
    const seqOf = async (id: string) =>
      (await entries(h, 'lineage.recorded')).find((e) => e.data.id === id)?.seq;
    expect(verdict.problems).toEqual([
      {
        kind: 'lineage',
        id: approved.lineageId,
        problem: `approvers, newVersion differ from its lineage.recorded entry (seq ${await seqOf(approved.lineageId)})`,
        seq: await seqOf(approved.lineageId),
      },
      {
        kind: 'lineage',
        id: breakGlass.lineageId,
        problem: `recorded by lineage.recorded entry (seq ${await seqOf(breakGlass.lineageId)}) but its row is missing (deleted?)`,
        seq: await seqOf(breakGlass.lineageId),
      },
    ]);
  });

  it('replays statuses, resumes and reviews: edited run and request rows are named', async () => {
    const { h, approved, breakGlass } = await makeHistory();
    editRow(h, 'runs', approved.runId, (body) => {
      body.executor = 'alice';
      body.status = 'failed';
    });
    editRow(h, 'runs', breakGlass.runId, (body) => {
      const [resume] = body.resumes as { actor: string }[];
      if (resume) resume.actor = 'bob';
      body.breakGlassReason = 'routine';
    });
    editRow(h, 'requests', approved.requestId, (body) => {
      body.status = 'approved';
    });
    editRow(h, 'requests', breakGlass.requestId, (body) => {
      body.reviewRequired = true;
      delete body.review;
    });
    const verdict = await crossCheckStore(h.store);
    const lines = verdict.problems.map((p) => `${p.kind} ${p.id}: ${p.problem}`);
    expect(lines).toEqual([
      expect.stringMatching(
        `^request ${approved.requestId}: status is approved but its audit entries say completed \\(last: run.completed entry \\(seq \\d+\\)\\)$`,
      ),
      expect.stringMatching(
        `^request ${breakGlass.requestId}: reviewRequired is true but its audit entries say false \\(last: review.recorded entry \\(seq \\d+\\)\\)$`,
      ),
      expect.stringMatching(
        `^request ${breakGlass.requestId}: review is missing but review.recorded entry \\(seq \\d+\\) records one$`,
      ),
      expect.stringMatching(
        `^run ${approved.runId}: executor differs from its run.started entry \\(seq \\d+\\)$`,
      ),
      expect.stringMatching(
        `^run ${approved.runId}: status is failed but its audit entries say completed \\(run.completed entry \\(seq \\d+\\)\\)$`,
      ),
      expect.stringMatching(
        `^run ${breakGlass.runId}: breakGlassReason differs from its run.break-glass entry \\(seq \\d+\\)$`,
      ),
      expect.stringMatching(
        `^run ${breakGlass.runId}: resume 1 actor differs from its run.resumed entry \\(seq \\d+\\)$`,
      ),
    ]);
  });

  it('names rows that no entry records', async () => {
    const { h, approved } = await makeHistory();
    const request = (await h.store.requests.get(approved.requestId)) as RecoveryRequest;
    const [approval] = (await h.store.approvals.forRequest(approved.requestId)) as [ApprovalRecord];
    await h.store.requests.insert({ ...request, id: 'req_planted' });
    await h.store.approvals.insert({ ...approval, id: 'apr_planted', requestId: 'req_planted' });
    const verdict = await crossCheckStore(h.store);
    expect(verdict.problems).toEqual([
      { kind: 'request', id: 'req_planted', problem: 'no request.created entry records it' },
      {
        kind: 'approval',
        id: 'apr_planted',
        problem: 'no approval.recorded or review.recorded entry records it',
      },
    ]);
  });
});

describe('cross-check of histories written by an older nhi', () => {
  it('compares the fields an old entry recorded, and judges no status the log does not fix', async () => {
    const h = createHarness();
    // A row an older nhi wrote: its plan predates today's Plan shape.
    const plan = { kind: 'older-plan', steps: ['revoke', 'reissue'] } as unknown as Plan;
    const at = new Date().toISOString();
    const row: RecoveryRequest = {
      id: 'req_old',
      ref: 'fake:secret:old',
      runbookId: 'aws-secret-recovery',
      reason: 'INC-1',
      requester: 'carol',
      tier: 'standard',
      owners: ['alice'],
      plan,
      planDigest: canonicalDigest(plan),
      status: 'approved',
      createdAt: at,
      expiresAt: at,
      reviewRequired: false,
      updatedAt: at,
    };
    await h.store.transaction(async (tx) => {
      await tx.requests.insert(row);
      // No tier, owners or revoke list, and a decision entry that does not say the new status.
      await h.deps.audit.record(tx.audit, {
        type: 'request.created',
        actor: 'carol',
        subject: row.id,
        data: { ref: row.ref, runbook: row.runbookId, planDigest: row.planDigest, reason: row.reason },
      });
      await h.deps.audit.record(tx.audit, {
        type: 'approval.recorded',
        actor: 'alice',
        subject: row.id,
        data: {},
      });
    });
    expect((await crossCheckStore(h.store)).problems).toEqual([]);

    editRow(h, 'requests', row.id, (body) => {
      body.tier = 'privileged'; // not recorded by that entry: not compared
      body.reason = 'nothing happened';
    });
    expect((await crossCheckStore(h.store)).problems).toEqual([
      {
        kind: 'request',
        id: row.id,
        problem: 'reason differs from its request.created entry (seq 1)',
        seq: 1,
      },
    ]);
  });
});

describe('nhi audit verify (built CLI) fails on a tampered store', () => {
  let configPath: string;
  let approvalId: string;

  beforeAll(async () => {
    const scratch = scratchDir('nhi-cross-check-');
    configPath = localConfig(scratch.dir, 'cross', { 'vault-test': 'vault-local' });
    const ref = await vaultFixture.seed({
      name: `cross-${Date.now().toString(36)}`,
      value: 'old-cross',
      owner: 'alice',
    });
    const app = await createApp({ configPath });
    try {
      const requestId = await approvedRequest(app, ref, 'vault-kv-recovery', { alice: scratch.key('alice') });
      expect((await startRun(app.engine(), { requestId, executor: 'carol' })).status).toBe('completed');
      approvalId = (await app.store.approvals.forRequest(requestId))[0]?.id ?? '';
    } finally {
      await app.close();
    }
  });

  const verify = (...args: string[]) =>
    promisify(execFile)(process.execPath, [CLI, '--config', configPath, ...args, 'audit', 'verify']).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('exits 0 with the rows cross-checked, then 1 naming an approval whose signature byte flipped', async () => {
    const ok = await verify();
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/audit log intact: /);
    expect(ok.stdout).toContain('1 request, 1 approval, 1 run, 1 lineage row(s) cross-checked');

    const db = new Database(JSON.parse(readFileSync(configPath, 'utf8')).state.path);
    const row = db.prepare('SELECT body FROM approvals WHERE id = ?').get(approvalId) as { body: string };
    const body = JSON.parse(row.body) as { proof: { signature: string } };
    body.proof.signature = flipped(body.proof.signature);
    db.prepare('UPDATE approvals SET body = ? WHERE id = ?').run(JSON.stringify(body), approvalId);
    db.close();

    const bad = await verify();
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('state store does NOT match the audit log');
    expect(bad.stderr).toMatch(
      new RegExp(`approval ${approvalId}: proof differs from its approval.recorded entry \\(seq \\d+\\)`),
    );
    const json = await verify('--json');
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout);
    expect(out).not.toHaveProperty('firstBad'); // the chain is intact; the store is not
    expect(out).toMatchObject({
      ok: false,
      crossCheck: {
        ok: false,
        rows: { request: 1, approval: 1, run: 1, lineage: 1 },
        problemCount: 1,
        problems: [{ kind: 'approval', id: approvalId, problem: expect.stringMatching(/^proof differs/) }],
      },
    });
  });
});
