import { describe, expect, it } from 'vitest';
import { auditClaimCheckers } from '../../src/approval/signing/audit-claims.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { PolicyError } from '../../src/lib/errors.js';
import { faultPointsFromEnv } from '../../src/lib/failpoint.js';
import { createRequest } from '../../src/runbook/requests.js';
import { resumeRun, startRun } from '../../src/runbook/runs.js';
import type { AuditArea } from '../../src/store/store.js';
import { createHarness } from './harness.js';

async function auditTypes(h: ReturnType<typeof createHarness>): Promise<string[]> {
  const types: string[] = [];
  for await (const e of h.store.audit.entries()) types.push(e.type);
  return types;
}

describe('revoke-then-reissue execution', () => {
  it('runs an approved request: old version revoked once, exactly one new version, lineage and a verifiable audit log', async () => {
    const h = createHarness();
    const ref = h.provider.seed('payments/db', 'CANARY-old-value', { owner: 'payments' });
    const req = await createRequest(h.deps, {
      ref,
      runbookId: 'aws-secret-recovery',
      reason: 'INC-1 leaked',
      requester: 'carol',
    });
    expect(req.owners).toEqual(['alice', 'bob']);
    await h.approve(req.id, 'alice');
    const run = await startRun(h.deps, { requestId: req.id, executor: 'carol' });
    expect(run.status).toBe('completed');
    const live = h.provider.live('payments/db');
    expect(live).toHaveLength(1);
    expect(live[0]?.value).not.toBe('CANARY-old-value');
    expect(h.provider.calls.filter((c) => c === 'revoke')).toHaveLength(1);
    const lineage = await h.store.lineage.forRef(ref);
    expect(lineage).toHaveLength(1);
    expect(lineage[0]).toMatchObject({
      requester: 'carol',
      executor: 'carol',
      approvers: ['alice'],
      reason: 'INC-1 leaked',
    });
    expect(lineage[0]?.oldVersions.map((v) => v.versionId)).toEqual(['v1']);
    expect(lineage[0]?.newVersion?.versionId).toBe(live[0]?.id);
    const verdict = await verifyAudit(h.store.audit, h.auditPublicKey, auditClaimCheckers(h.config));
    // the approval and the policy adoption
    expect(verdict).toMatchObject({ ok: true, checkedClaims: 2 });
    expect(h.logs()).not.toContain('CANARY-old-value');
  });

  it('refuses to run without an approval record, with exit-3 PolicyError, and audits the refusal', async () => {
    const h = createHarness();
    const ref = h.provider.seed('svc/a', 'x-value', { owner: 'alice' });
    const req = await createRequest(h.deps, {
      ref,
      runbookId: 'aws-secret-recovery',
      reason: 'r',
      requester: 'carol',
    });
    await expect(startRun(h.deps, { requestId: req.id, executor: 'carol' })).rejects.toMatchObject({
      rule: 'not-approved',
    });
    expect(h.provider.calls).not.toContain('revoke');
    expect(await auditTypes(h)).toContain('run.refused');
  });

  it('refuses when the live state drifted from the approved plan (a new version appeared), changing nothing', async () => {
    const h = createHarness();
    const req = { id: await h.approvedRequest('svc/drift') };
    h.provider.addVersion('svc/drift', 'sneaky-new-version');
    const err = await startRun(h.deps, { requestId: req.id, executor: 'carol' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).rule).toBe('digest-drift');
    expect(h.provider.calls).not.toContain('revoke');
    expect(h.provider.live('svc/drift')).toHaveLength(2);
  });

  it('does not call the provider when the intent audit entry cannot be written (fail closed)', async () => {
    const h = createHarness();
    const req = { id: await h.approvedRequest('svc/audit') };
    const realAppend = h.store.audit.append.bind(h.store.audit);
    (h.store.audit as AuditArea).append = async (entry) => {
      if (entry.type === 'step.intent') throw new Error('disk full');
      return realAppend(entry);
    };
    await expect(startRun(h.deps, { requestId: req.id, executor: 'carol' })).rejects.toMatchObject({
      code: 'audit',
    });
    expect(h.provider.calls).not.toContain('revoke');
    expect(h.provider.live('svc/audit')).toHaveLength(1);
  });

  it('a lost reissue response creates no duplicate: the retry finds the first issue by its idempotency key', async () => {
    const h = createHarness();
    const req = { id: await h.approvedRequest('svc/lost') };
    const run = await startRun(
      { ...h.deps, faults: faultPointsFromEnv({ NHI_LOSE_RESPONSE: 'reissue' }) },
      { requestId: req.id, executor: 'carol' },
    );
    expect(run.status).toBe('completed');
    expect(h.provider.live('svc/lost')).toHaveLength(1);
    const steps = await h.store.runs.steps((await h.store.runs.forRequest(req.id))[0]?.id ?? '');
    expect(steps.find((s) => s.stepId === 'reissue')?.outcome).toMatchObject({
      recoveredAfterInterruption: true,
    });
  });

  it('a reissue that keeps failing escalates to needs-attention and never re-enables the revoked version; resume finishes it', async () => {
    const h = createHarness();
    const req = { id: await h.approvedRequest('svc/fail') };
    h.provider.failReissue = 3;
    const run = await startRun(h.deps, { requestId: req.id, executor: 'carol' });
    expect(run.status).toBe('needs-attention');
    expect(h.provider.live('svc/fail')).toHaveLength(0);
    expect(await auditTypes(h)).toContain('run.needs-attention');
    const resumed = await resumeRun(h.deps, run.id, 'carol');
    expect(resumed.status).toBe('completed');
    expect(h.provider.live('svc/fail')).toHaveLength(1);
    expect(h.provider.calls.filter((c) => c === 'revoke')).toHaveLength(1);
  });

  it('a failed verify in revoke-then-reissue leaves the old credential revoked and needs attention', async () => {
    const h = createHarness();
    const req = { id: await h.approvedRequest('svc/verify') };
    h.provider.failVerify = true;
    const run = await startRun(h.deps, { requestId: req.id, executor: 'carol' });
    expect(run.status).toBe('needs-attention');
    expect(h.provider.secrets.get('svc/verify')?.versions[0]?.enabled).toBe(false);
    expect(h.provider.calls).not.toContain('discard');
  });

  it('a failed verify in reissue-then-revoke removes the unverified new version and never touches the old one', async () => {
    const h = createHarness();
    const req = { id: await h.approvedRequest('svc/rotate', 'aws-secret-rotation') };
    h.provider.failVerify = true;
    const run = await startRun(h.deps, { requestId: req.id, executor: 'carol' });
    expect(run.status).toBe('failed');
    expect(h.provider.calls).toContain('discard');
    expect(h.provider.calls).not.toContain('revoke');
    expect(h.provider.live('svc/rotate').map((v) => v.value)).toEqual(['old-svc/rotate']);
  });
});
