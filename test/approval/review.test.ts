/**
 * Retrospective owner review of a break-glass run: `nhi approve` / `nhi deny` after the run
 * endorse or dispute it, through the same signed-decision path as a pre-run approval, with
 * `purpose: 'retrospective-review'` signed in so neither can stand in for the other.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordDecision } from '../../src/approval/decisions/decide.js';
import { gateRun } from '../../src/approval/decisions/run-gate.js';
import { ownerRegistryFromConfig } from '../../src/approval/owners/owner-registry.js';
import { auditClaimCheckers } from '../../src/approval/signing/audit-claims.js';
import { asProof, REVIEW_PURPOSE, requestFields } from '../../src/approval/signing/proof.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { PolicyError } from '../../src/lib/errors.js';
import { createRequest } from '../../src/runbook/requests.js';
import { startRun } from '../../src/runbook/runs.js';
import type { AuditEntry, RecoveryRequest, RunRecord } from '../../src/store/types.js';
import { createHarness } from '../runbook/harness.js';
import { approvalFor, hours, makeWorld, minutes, signedProof, T0, type World } from './fixture.js';

const target = (path: string) => ({
  type: 'webhook',
  url: `http://127.0.0.1:9/${path}`,
  secret: 'file:./webhook.key',
  events: [],
  attempts: 1,
});

let w: World;
beforeEach(() => {
  w = makeWorld({
    notify: { 'sec-channel': target('sec'), 'priv-alerts': target('priv') },
    policy: {
      requestTtlHours: 24,
      standard: { quorum: 1, approvalTtlHours: 24, holdMinutes: 0, alert: [], executorNotApprover: false },
      privileged: {
        quorum: 2,
        approvalTtlHours: 4,
        holdMinutes: 60,
        alert: ['priv-alerts'],
        executorNotApprover: true,
      },
      securityAlert: ['sec-channel'],
    },
  });
});
afterEach(async () => {
  await w.close();
});

const gate = (requestId: string, executor: string, now: Date, breakGlass?: { reason?: string }) =>
  gateRun(
    { store: w.store, audit: w.audit, config: w.config, registry: w.registry },
    { requestId, executor, now, ...(breakGlass ? { breakGlass } : {}) },
  );

/** What startRun records for a break-glass run (authorized by the real gate), then the run finishes. */
async function breakGlass(
  over: Partial<RecoveryRequest> = {},
  executor = 'sec',
): Promise<{ request: RecoveryRequest; run: RunRecord }> {
  const request = await w.insertRequest(over);
  const at = minutes(10);
  const { authorization } = await gate(request.id, executor, at, { reason: 'INC-43: active exfiltration' });
  expect(authorization.mode).toBe('break-glass');
  const run: RunRecord = {
    id: `run_${randomUUID()}`,
    requestId: request.id,
    executor,
    status: 'completed',
    breakGlass: true,
    breakGlassReason: authorization.breakGlassReason ?? '',
    startedAt: at.toISOString(),
    finishedAt: minutes(12).toISOString(),
    facts: { mode: 'break-glass', approvers: [], approvalIds: [] },
  };
  await w.store.transaction(async (tx) => {
    await tx.runs.insert(run);
    await tx.requests.update(request.id, { status: 'completed', reviewRequired: true });
  });
  return { request: (await w.store.requests.get(request.id)) as RecoveryRequest, run };
}

async function expectRefused(attempt: Promise<unknown>, rule: string, who: string, requestId: string) {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyError);
  expect((error as PolicyError).rule).toBe(rule);
  const refused = await w.entries('approval.refused');
  expect(refused.at(-1)).toMatchObject({
    actor: who,
    data: { rule, principal: who, requestId, purpose: REVIEW_PURPOSE },
  });
  return error as PolicyError;
}

async function verifyLog() {
  return verifyAudit(w.store.audit, w.auditKeys.publicKey, auditClaimCheckers(w.config));
}

describe('an owner endorses a break-glass run', () => {
  it('clears reviewRequired, keeps the status, audits the signed review and tells security', async () => {
    const { request, run } = await breakGlass();
    const out = await w.decide('alice', 'approve', request.id, { now: hours(2), comment: 'was needed' });

    expect(out.review).toMatchObject({
      outcome: 'endorsed',
      principal: 'alice',
      runId: run.id,
      executor: 'sec',
    });
    expect(out.requestStatus).toBe('completed');
    const stored = await w.store.requests.get(request.id);
    expect(stored).toMatchObject({
      status: 'completed',
      reviewRequired: false,
      review: { outcome: 'endorsed', principal: 'alice', approvalId: out.approval.id, comment: 'was needed' },
    });
    const [row] = await w.approvals(request.id);
    expect(row).toMatchObject({ principal: 'alice', decision: 'approve', purpose: REVIEW_PURPOSE });
    expect(JSON.parse(String(row?.proof.signedPayload))).toMatchObject({
      requestId: request.id,
      planDigest: request.planDigest,
      decision: 'approve',
      purpose: 'retrospective-review',
    });

    const [entry] = await w.entries('review.recorded');
    expect(entry).toMatchObject({
      actor: 'alice',
      subject: request.id,
      data: {
        purpose: REVIEW_PURPOSE,
        outcome: 'endorsed',
        runId: run.id,
        executor: 'sec',
        planDigest: request.planDigest,
        reviewRequired: false,
        requestStatus: 'completed',
      },
    });
    expect(entry?.data.proof).toEqual(row?.proof);
    expect(await w.entries('approval.recorded')).toHaveLength(0);

    const notice = w.notifier.sent.at(-1);
    expect(notice?.targets).toContain('sec-channel');
    expect(notice?.event).toMatchObject({ event: 'run.break-glass.review', subject: request.id });
    expect(notice?.event.summary).toMatch(/alice reviewed and endorsed/);

    const verdict = await verifyLog();
    expect(verdict.ok).toBe(true);
    // the review and the policy adoption
    expect(verdict.checkedClaims).toBe(2);
  });

  it('a second endorsement is refused (duplicate by the same owner, already reviewed by another)', async () => {
    const { request } = await breakGlass();
    await w.decide('alice', 'approve', request.id, { now: hours(2) });
    await expectRefused(
      w.decide('alice', 'approve', request.id, { now: hours(3) }),
      'duplicate-review',
      'alice',
      request.id,
    );
    await expectRefused(
      w.decide('bob', 'approve', request.id, { now: hours(3) }),
      'already-reviewed',
      'bob',
      request.id,
    );
    expect(await w.entries('review.recorded')).toHaveLength(1);
  });
});

describe('an owner disputes a break-glass run', () => {
  it('keeps the flag, marks it disputed, audits, and alerts security at critical severity', async () => {
    const { request, run } = await breakGlass({ tier: 'privileged' });
    const out = await w.decide('bob', 'deny', request.id, { now: hours(1), comment: 'nobody told me' });

    expect(out.review?.outcome).toBe('disputed');
    expect(await w.store.requests.get(request.id)).toMatchObject({
      status: 'completed',
      reviewRequired: true,
      review: { outcome: 'disputed', principal: 'bob', runId: run.id },
    });
    const [entry] = await w.entries('review.recorded');
    expect(entry?.data).toMatchObject({ decision: 'deny', outcome: 'disputed', reviewRequired: true });

    const notice = w.notifier.sent.at(-1);
    expect(notice?.targets).toEqual(expect.arrayContaining(['sec-channel', 'priv-alerts']));
    expect(notice?.event).toMatchObject({ event: 'run.break-glass.review', severity: 'critical' });
    expect(notice?.event.summary).toMatch(/DISPUTED: owner bob disputes the break-glass recovery/);
    expect(notice?.event.data).toMatchObject({ outcome: 'disputed', executor: 'sec', runId: run.id });

    // The dispute stands: no endorsement overrides it, and it is not recorded twice.
    await expectRefused(
      w.decide('alice', 'approve', request.id, { now: hours(2) }),
      'already-reviewed',
      'alice',
      request.id,
    );
    await expectRefused(
      w.decide('bob', 'deny', request.id, { now: hours(2) }),
      'duplicate-review',
      'bob',
      request.id,
    );
    expect((await w.store.requests.get(request.id))?.review?.outcome).toBe('disputed');
  });

  it('another owner may dispute a run that was endorsed', async () => {
    const { request } = await breakGlass();
    await w.decide('alice', 'approve', request.id, { now: hours(1) });
    await w.decide('bob', 'deny', request.id, { now: hours(2) });
    expect(await w.store.requests.get(request.id)).toMatchObject({
      reviewRequired: true,
      review: { outcome: 'disputed', principal: 'bob' },
    });
    const entries = await w.entries('review.recorded');
    expect(entries.at(-1)?.data.previousReview).toEqual({ outcome: 'endorsed', principal: 'alice' });
    // two reviews and the policy adoption
    expect((await verifyLog()).checkedClaims).toBe(3);
  });
});

describe('the same policy checks apply to a review', () => {
  it('refuses the break-glass executor, even when they are an owner', async () => {
    const { request } = await breakGlass({ owners: ['alice', 'sec'] });
    await expectRefused(
      w.decide('sec', 'approve', request.id, { now: hours(1) }),
      'break-glass-executor',
      'sec',
      request.id,
    );
  });

  it('refuses the requester, a non-owner, an unregistered principal and a forged key', async () => {
    const { request } = await breakGlass({ owners: ['alice', 'bob', 'carol'] });
    const now = hours(1);
    await expectRefused(
      w.decide('carol', 'approve', request.id, { now }),
      'self-approval',
      'carol',
      request.id,
    );
    await expectRefused(w.decide('dave', 'approve', request.id, { now }), 'not-owner', 'dave', request.id);
    await expectRefused(
      w.decide('mallory', 'deny', request.id, { now }),
      'unknown-principal',
      'mallory',
      request.id,
    );
    await expectRefused(
      w.decide('alice', 'approve', request.id, { now, key: 'mallory' }),
      'bad-signature',
      'alice',
      request.id,
    );
    await expectRefused(
      w.decide('alice', 'approve', request.id, { now, planDigest: 'sha256:another-plan' }),
      'digest-mismatch',
      'alice',
      request.id,
    );
    expect((await w.store.requests.get(request.id))?.reviewRequired).toBe(true);
    expect(await w.entries('review.recorded')).toHaveLength(0);
  });

  it('refuses a review of an identity with no registered owner', async () => {
    const { request } = await breakGlass({ owners: [] });
    await expectRefused(
      w.decide('alice', 'approve', request.id, { now: hours(1) }),
      'no-owner',
      'alice',
      request.id,
    );
  });

  it('a completed request that was not run by break-glass still takes no decision', async () => {
    const request = await w.insertRequest({ status: 'completed' });
    const error = await w.decide('alice', 'approve', request.id, { now: hours(1) }).catch((e: unknown) => e);
    expect((error as PolicyError).rule).toBe('not-pending');
  });
});

describe('a review and a pre-run approval never stand in for each other', () => {
  it('a pre-run approval proof replayed as a review is refused', async () => {
    // alice approved before the run (1 of 2 on a privileged request); then security broke glass.
    const request = await w.insertRequest({ tier: 'privileged' });
    await w.decide('alice', 'approve', request.id, { now: minutes(1) });
    const [preRun] = await w.approvals(request.id);
    await gate(request.id, 'sec', minutes(10), { reason: 'INC-44' });
    await w.store.transaction(async (tx) => {
      await tx.runs.insert({
        id: `run_${randomUUID()}`,
        requestId: request.id,
        executor: 'sec',
        status: 'running',
        breakGlass: true,
        breakGlassReason: 'INC-44',
        startedAt: minutes(10).toISOString(),
        facts: {},
      });
      await tx.requests.update(request.id, { status: 'running', reviewRequired: true });
    });
    const proof = asProof(preRun?.proof);
    if (!proof) throw new Error('no stored proof');
    const error = await expectRefused(
      w.submit({ requestId: request.id, principal: 'alice', decision: 'approve', proof, now: minutes(20) }),
      'bad-signature',
      'alice',
      request.id,
    );
    expect(error.message).toMatch(/pre-run approval, not a retrospective review/);
    expect((await w.store.requests.get(request.id))?.reviewRequired).toBe(true);
  });

  it('a review proof is refused as a pre-run decision, and does not count at run time', async () => {
    const request = await w.insertRequest();
    const expiresAt = hours(24).toISOString();
    const fields = {
      requestId: request.id,
      planDigest: request.planDigest,
      expiresAt,
      principal: 'alice',
      ...requestFields(request),
    };
    const review = signedProof(w.keys.alice!.privateKey, {
      ...fields,
      decision: 'approve',
      purpose: REVIEW_PURPOSE,
    });

    // Submitted as a pre-run approval.
    const error = await w
      .submit({ requestId: request.id, principal: 'alice', decision: 'approve', proof: review, now: T0 })
      .catch((e: unknown) => e);
    expect((error as PolicyError).rule).toBe('bad-signature');
    expect((error as PolicyError).message).toMatch(/retrospective review, not a pre-run approval/);

    // Slipped into the approvals table as a plain approval row: ignored at run time.
    const row = { ...approvalFor(w.keys, request, 'alice'), expiresAt, proof: { ...review } };
    await w.store.approvals.insert(row);
    const refused = await gate(request.id, 'dave', minutes(5)).catch((e: unknown) => e);
    expect((refused as PolicyError).rule).toBe('bad-signature');

    // Labelled as what it is (a review), it verifies but still never counts toward a quorum.
    const request2 = await w.insertRequest();
    const review2 = signedProof(w.keys.alice!.privateKey, {
      ...fields,
      requestId: request2.id,
      planDigest: request2.planDigest,
      decision: 'approve',
      purpose: REVIEW_PURPOSE,
    });
    await w.store.approvals.insert({
      ...approvalFor(w.keys, request2, 'alice'),
      expiresAt,
      purpose: REVIEW_PURPOSE,
      proof: { ...review2 },
    });
    const notApproved = await gate(request2.id, 'dave', minutes(5)).catch((e: unknown) => e);
    expect((notApproved as PolicyError).rule).toBe('not-approved');
  });

  it('a review cannot hide a pre-run deny by relabelling it', async () => {
    const request = await w.insertRequest();
    const deny = approvalFor(w.keys, request, 'bob', { decision: 'deny' });
    await w.store.approvals.insert({ ...deny, purpose: REVIEW_PURPOSE });
    // The relabelled row does not verify as a review; it is reported, not silently skipped.
    await w.store.approvals.insert(approvalFor(w.keys, request, 'alice'));
    const { authorization } = await gate(request.id, 'dave', minutes(5));
    expect(authorization.ignored).toEqual([
      expect.objectContaining({ principal: 'bob', rule: 'bad-signature' }),
    ]);
  });
});

describe('nhi audit verify re-verifies review signatures offline', () => {
  async function reviewedEntry(): Promise<AuditEntry> {
    const { request } = await breakGlass();
    await w.decide('alice', 'approve', request.id, { now: hours(2) });
    const [entry] = await w.entries('review.recorded');
    return entry as AuditEntry;
  }

  it('accepts the recorded review; rejects it as an approval entry, or with its purpose or proof altered', async () => {
    const entry = await reviewedEntry();
    const checkers = auditClaimCheckers(w.config);
    const asReview = checkers['review.recorded']!;
    const asApproval = checkers['approval.recorded']!;
    expect(asReview(entry)).toBeUndefined();
    // The same data under the approval type: the signed purpose does not match.
    expect(asApproval({ ...entry, type: 'approval.recorded' })).toMatch(
      /retrospective review, not a pre-run approval/,
    );
    const { purpose: _drop, ...noPurpose } = entry.data;
    expect(asReview({ ...entry, data: noPurpose })).toMatch(/does not name purpose/);
    expect(asReview({ ...entry, data: { ...entry.data, decision: 'deny' } })).toMatch(/not "deny"/);
  });

  it('rejects a pre-run approval entry presented as a review', async () => {
    const request = await w.insertRequest();
    await w.decide('alice', 'approve', request.id);
    const [approval] = await w.entries('approval.recorded');
    const asReview = auditClaimCheckers(w.config)['review.recorded']!;
    const forged = {
      ...(approval as AuditEntry),
      type: 'review.recorded',
      data: { ...approval?.data, purpose: REVIEW_PURPOSE },
    };
    expect(asReview(forged)).toMatch(/pre-run approval, not a retrospective review/);
  });

  it('fails the whole log when a review entry is edited and re-hashed', async () => {
    await reviewedEntry();
    const { entryHash } = await import('../../src/audit/chain.js');
    const Database = (await import('better-sqlite3')).default;
    await w.store.close();
    const db = new Database(join(w.dir, 'state', 'nhi.db'));
    const row = db.prepare("SELECT * FROM audit_entries WHERE type = 'review.recorded'").get() as Record<
      string,
      string
    >;
    const data = JSON.parse(row.data as string) as Record<string, unknown>;
    data.decision = 'deny';
    data.outcome = 'disputed';
    const hash = entryHash({
      seq: Number(row.seq),
      ts: row.ts as string,
      type: row.type as string,
      actor: row.actor as string,
      subject: row.subject as string,
      data,
      prevHash: row.prev_hash as string,
    });
    db.prepare('UPDATE audit_entries SET data = ?, hash = ? WHERE seq = ?').run(
      JSON.stringify(data),
      hash,
      row.seq,
    );
    db.close();
    const { openSqliteStore } = await import('../../src/store/sqlite/index.js');
    const store = openSqliteStore(join(w.dir, 'state', 'nhi.db'));
    try {
      const verdict = await verifyAudit(store.audit, w.auditKeys.publicKey, auditClaimCheckers(w.config));
      expect(verdict.ok).toBe(false);
      expect(verdict.firstBad).toMatchObject({ seq: Number(row.seq) });
      expect(verdict.firstBad?.reason).toMatch(/not "deny"/);
    } finally {
      await store.close();
    }
  });
});

describe('end to end through the runbook engine', () => {
  it('startRun --break-glass flags the request; an owner endorses it; the audit log verifies', async () => {
    const h = createHarness();
    const ref = h.provider.seed('payments/db', 'CANARY-old-value', { owner: 'payments' });
    const req = await createRequest(h.deps, {
      ref,
      runbookId: 'aws-secret-recovery',
      reason: 'INC-7',
      requester: 'carol',
    });
    const run = await startRun(h.deps, {
      requestId: req.id,
      executor: 'sec',
      breakGlass: { reason: 'INC-7' },
    });
    expect(run.status).toBe('completed');
    expect(await h.store.requests.get(req.id)).toMatchObject({ status: 'completed', reviewRequired: true });

    const deps = {
      store: h.store,
      audit: h.deps.audit,
      config: h.config,
      notifier: h.deps.notifier,
      registry: ownerRegistryFromConfig(h.config),
    };
    const input = { requestId: req.id, decision: 'approve' as const, now: new Date() };
    const bySec = await recordDecision(deps, { ...input, principal: 'sec', privateKey: h.keys.sec! }).catch(
      (e: unknown) => e,
    );
    expect((bySec as PolicyError).rule).toBe('break-glass-executor');
    const out = await recordDecision(deps, { ...input, principal: 'bob', privateKey: h.keys.bob! });
    expect(out.review).toMatchObject({ outcome: 'endorsed', runId: run.id, executor: 'sec' });
    expect(await h.store.requests.get(req.id)).toMatchObject({
      status: 'completed',
      reviewRequired: false,
      review: { principal: 'bob' },
    });
    const verdict = await verifyAudit(h.store.audit, h.auditPublicKey, auditClaimCheckers(h.config));
    // the review and the policy adoption
    expect(verdict).toMatchObject({ ok: true, checkedClaims: 2 });
    await h.store.close();
  });
});
