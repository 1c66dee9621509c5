/**
 * policy.requireSignedActors: `--as` on request / run / resume is proven by the actor's
 * registered key, the proof is stored and audited, and `nhi audit verify` re-checks it.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { recordDecision } from '../../src/approval/decisions/decide.js';
import { ownerRegistryFromConfig } from '../../src/approval/owners/owner-registry.js';
import { signActor } from '../../src/approval/signing/actor-proof.js';
import { auditClaimCheckers } from '../../src/approval/signing/audit-claims.js';
import { approvalPayload, verifyProofWithKey } from '../../src/approval/signing/proof.js';
import { entryHash } from '../../src/audit/chain.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { createRequest } from '../../src/runbook/requests.js';
import { resumeRun, startRun } from '../../src/runbook/runs.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { AuditEntry } from '../../src/store/types.js';
import { createHarness, type Harness } from './harness.js';

const POLICY = {
  requireSignedActors: true,
  privileged: { quorum: 2, approvalTtlHours: 4, holdMinutes: 0, alert: [], executorNotApprover: true },
};

function signedHarness(): Harness {
  return createHarness({ config: { policy: POLICY } });
}

const key = (h: Harness, who: string) => ({ privateKey: h.keys[who] as KeyObject });

async function entries(h: Harness): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of h.store.audit.entries()) out.push(e);
  return out;
}

/** A request by carol, signed with her key, on a fresh target. */
function fileSigned(h: Harness, name: string, owner = 'alice') {
  const ref = h.provider.seed(name, `old-${name}`, { owner });
  const input = { ref, runbookId: 'aws-secret-recovery', reason: 'INC-7', requester: 'carol' };
  return createRequest(h.deps, { ...input, actor: key(h, 'carol') });
}

/** The same, approved by alice. */
async function signedApproved(h: Harness, name: string): Promise<string> {
  const req = await fileSigned(h, name);
  await h.approve(req.id, 'alice');
  return req.id;
}

describe('signed actors (policy.requireSignedActors)', () => {
  it('refuses an unsigned request and an unsigned run (unsigned-actor), and audits the refusals', async () => {
    const h = signedHarness();
    const ref = h.provider.seed('svc/unsigned', 'old', { owner: 'alice' });
    await expect(
      createRequest(h.deps, { ref, runbookId: 'aws-secret-recovery', reason: 'r', requester: 'carol' }),
    ).rejects.toMatchObject({ rule: 'unsigned-actor' });
    expect(await h.store.requests.list()).toHaveLength(0);

    const requestId = await signedApproved(h, 'svc/unsigned-run');
    await expect(startRun(h.deps, { requestId, executor: 'bob' })).rejects.toMatchObject({
      rule: 'unsigned-actor',
    });
    expect(await h.store.runs.forRequest(requestId)).toHaveLength(0);
    const refused = (await entries(h)).filter((e) => e.type.endsWith('.refused'));
    expect(refused.map((e) => [e.type, e.actor, e.data.rule])).toEqual([
      ['request.refused', 'carol', 'unsigned-actor'],
      ['run.refused', 'bob', 'unsigned-actor'],
    ]);
  });

  it("refuses a request or run signed with someone else's key (bad-actor-signature)", async () => {
    const h = signedHarness();
    const ref = h.provider.seed('svc/wrong-key', 'old', { owner: 'alice' });
    await expect(
      createRequest(h.deps, {
        ref,
        runbookId: 'aws-secret-recovery',
        reason: 'r',
        requester: 'carol',
        actor: key(h, 'bob'),
      }),
    ).rejects.toMatchObject({ rule: 'bad-actor-signature' });
    const requestId = await signedApproved(h, 'svc/wrong-key-run');
    // alice approved; claiming to be carol with alice's key must not get her past executor != approver.
    const err = await startRun(h.deps, { requestId, executor: 'carol', actor: key(h, 'alice') }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ rule: 'bad-actor-signature' });
    expect((err as Error).message).toMatch(/not the registered key/);
  });

  it('a signed request and a signed run pass; the proofs are stored, audited and verified offline', async () => {
    const h = signedHarness();
    const requestId = await signedApproved(h, 'svc/signed');
    const request = await h.store.requests.get(requestId);
    expect(request?.requesterProof).toMatchObject({ method: 'ed25519', publicKey: expect.any(String) });
    const run = await startRun(h.deps, { requestId, executor: 'bob', actor: key(h, 'bob') });
    expect(run.status).toBe('completed');
    expect(run.executorProof?.signedPayload).toContain('"action":"run"');

    const log = await entries(h);
    const created = log.find((e) => e.type === 'request.created');
    const started = log.find((e) => e.type === 'run.started');
    expect(created?.data.actorProof).toEqual(request?.requesterProof);
    expect(started?.data.actorProof).toEqual(run.executorProof);
    const verdict = await verifyAudit(h.store.audit, h.auditPublicKey, auditClaimCheckers(h.config));
    // request.created, approval.recorded, run.started, policy.adopted
    expect(verdict).toMatchObject({ ok: true, checkedClaims: 4 });
  });

  it('signs a break-glass run and a resume; a run proof does not stand in for a break-glass one', async () => {
    const h = signedHarness();
    const req = await fileSigned(h, 'svc/bg');
    const plainRun = signActor(h.keys.sec as KeyObject, {
      action: 'run',
      principal: 'sec',
      ref: req.ref,
      requestId: req.id,
      planDigest: req.planDigest,
      at: new Date().toISOString(),
    });
    await expect(
      startRun(h.deps, {
        requestId: req.id,
        executor: 'sec',
        breakGlass: { reason: 'exfiltration' },
        actor: { proof: plainRun },
      }),
    ).rejects.toMatchObject({ rule: 'bad-actor-signature' });

    h.provider.failReissue = 3;
    const run = await startRun(h.deps, {
      requestId: req.id,
      executor: 'sec',
      breakGlass: { reason: 'exfiltration' },
      actor: key(h, 'sec'),
    });
    expect(run.status).toBe('needs-attention');
    await expect(resumeRun(h.deps, run.id, 'sec')).rejects.toMatchObject({ rule: 'unsigned-actor' });
    const resumed = await resumeRun(h.deps, run.id, 'sec', key(h, 'sec'));
    expect(resumed.status).toBe('completed');
    expect(resumed.resumes?.map((r) => [r.actor, r.proof?.method])).toEqual([['sec', 'ed25519']]);
    const verdict = await verifyAudit(h.store.audit, h.auditPublicKey, auditClaimCheckers(h.config));
    // request.created, run.break-glass, run.resumed, policy.adopted
    expect(verdict).toMatchObject({ ok: true, checkedClaims: 4 });
  });

  it('an actor proof replayed as an approval is refused', async () => {
    const h = signedHarness();
    const request = await fileSigned(h, 'svc/replay-1', 'payments');
    // Direct: carol's request signature verifies as a signature, but is no nhi-approval payload.
    const expected = approvalPayload({
      requestId: request.id,
      planDigest: request.planDigest,
      decision: 'approve',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      principal: 'carol',
    });
    const direct = verifyProofWithKey(
      request.requesterProof,
      expected,
      createPublicKey(h.keys.carol as KeyObject),
    );
    expect(direct).toMatchObject({ ok: false, rule: 'bad-signature' });
    // Through the decision path: bob (an owner) signed "I run it"; that is offered as his approval.
    const bobRuns = signActor(h.keys.bob as KeyObject, {
      action: 'run',
      principal: 'bob',
      ref: request.ref,
      requestId: request.id,
      planDigest: request.planDigest,
      at: new Date().toISOString(),
    });
    const { store, audit, notifier } = h.deps;
    const registry = ownerRegistryFromConfig(h.config);
    await expect(
      recordDecision(
        { store, audit, config: h.config, notifier, registry },
        {
          requestId: request.id,
          principal: 'bob',
          decision: 'approve',
          now: new Date(),
          proof: bobRuns,
        },
      ),
    ).rejects.toMatchObject({ rule: 'bad-signature' });
    expect(await h.store.approvals.forRequest(request.id)).toHaveLength(0);
  });

  it('an approval proof replayed as an actor proof is refused', async () => {
    const h = signedHarness();
    const requestId = await signedApproved(h, 'svc/replay-2');
    const approval = (await h.store.approvals.forRequest(requestId))[0];
    const request = await h.store.requests.get(requestId);
    // alice's approval signature offered as her proof that she runs it...
    await expect(
      startRun(h.deps, { requestId, executor: 'alice', actor: { proof: approval?.proof } }),
    ).rejects.toMatchObject({ rule: 'bad-actor-signature', message: /not a canonical nhi-actor payload/ });
    // and as her signature on a new request for the same target.
    await expect(
      createRequest(h.deps, {
        ref: request?.ref ?? '',
        runbookId: 'aws-secret-recovery',
        reason: 'r',
        requester: 'alice',
        actor: { proof: approval?.proof },
      }),
    ).rejects.toMatchObject({ rule: 'bad-actor-signature' });
  });

  it('a proof signed elsewhere must be recent and for this exact action', async () => {
    const h = signedHarness();
    const requestId = await signedApproved(h, 'svc/elsewhere');
    const request = await h.store.requests.get(requestId);
    const claim = {
      action: 'run' as const,
      principal: 'bob',
      ref: request?.ref ?? '',
      requestId,
      planDigest: request?.planDigest ?? '',
    };
    const stale = signActor(h.keys.bob as KeyObject, {
      ...claim,
      at: new Date(Date.now() - 3_600_000).toISOString(),
    });
    await expect(
      startRun(h.deps, { requestId, executor: 'bob', actor: { proof: stale } }),
    ).rejects.toMatchObject({ rule: 'bad-actor-signature', message: /replayed/ });
    const asResume = signActor(h.keys.bob as KeyObject, {
      ...claim,
      action: 'resume',
      runId: 'run_x',
      at: new Date().toISOString(),
    });
    await expect(
      startRun(h.deps, { requestId, executor: 'bob', actor: { proof: asResume } }),
    ).rejects.toMatchObject({ rule: 'bad-actor-signature' });
    const fresh = signActor(h.keys.bob as KeyObject, { ...claim, at: new Date().toISOString() });
    const run = await startRun(h.deps, { requestId, executor: 'bob', actor: { proof: fresh } });
    expect(run.executorProof?.signature).toBe(fresh.signature);
  });

  it.each([
    [
      'the signature',
      (p: { signature: string }) => {
        p.signature = `${p.signature.slice(0, 10)}${p.signature[10] === 'A' ? 'B' : 'A'}${p.signature.slice(11)}`;
      },
    ],
    [
      'the signed payload',
      (p: { signedPayload: string }) => {
        p.signedPayload = p.signedPayload.replace('"principal":"bob"', '"principal":"carol"');
      },
    ],
  ] as const)(
    'audit verify fails when %s of an actor proof in the log is tampered (even re-hashed)',
    async (_what, edit) => {
      const h = signedHarness();
      const requestId = await signedApproved(h, `svc/tamper-${_what.length}`);
      await startRun(h.deps, { requestId, executor: 'bob', actor: key(h, 'bob') });
      const started = (await entries(h)).find((e) => e.type === 'run.started') as AuditEntry;
      await h.store.close();

      const db = new Database(h.config.state.path);
      const data = structuredClone(started.data);
      edit(data.actorProof as { signature: string; signedPayload: string });
      // Re-hash the edited entry, so only the claim check can notice.
      db.prepare('UPDATE audit_entries SET data = ?, hash = ? WHERE seq = ?').run(
        JSON.stringify(data),
        entryHash({ ...started, data }),
        started.seq,
      );
      db.close();

      const store = openSqliteStore(h.config.state.path);
      try {
        const verdict = await verifyAudit(store.audit, h.auditPublicKey, auditClaimCheckers(h.config));
        expect(verdict.ok).toBe(false);
        expect(verdict.firstBad?.seq).toBe(started.seq);
        expect(verdict.firstBad?.reason).toMatch(/run\.started by bob on run_.*does not verify/);
      } finally {
        await store.close();
      }
    },
  );
});
