import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gateRun } from '../../src/approval/decisions/run-gate.js';
import { PolicyError } from '../../src/lib/errors.js';
import { approvalFor, hours, makeWorld, minutes, type World } from './fixture.js';

let w: World;
beforeEach(() => {
  w = makeWorld();
});
afterEach(async () => {
  await w.close();
});

const gate = (requestId: string, executor: string, now: Date, breakGlass?: { reason?: string }) =>
  gateRun(
    { store: w.store, audit: w.audit, config: w.config, registry: w.registry },
    { requestId, executor, now, ...(breakGlass ? { breakGlass } : {}) },
  );

async function expectRunRefused(
  attempt: Promise<unknown>,
  rule: string,
  executor: string,
  requestId: string,
) {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyError);
  expect((error as PolicyError).rule).toBe(rule);
  const refused = await w.entries('run.refused');
  expect(refused.at(-1)).toMatchObject({
    actor: executor,
    subject: requestId,
    data: { rule, executor, requestId },
  });
  return error as PolicyError;
}

describe('gateRun: run-time attacks are refused and recorded as run.refused', () => {
  it('a privileged run executed by one of its approvers', async () => {
    const req = await w.insertRequest({ tier: 'privileged' });
    await w.decide('alice', 'approve', req.id);
    await w.decide('bob', 'approve', req.id, { now: minutes(5) });
    await expectRunRefused(gate(req.id, 'bob', hours(2)), 'executor-is-approver', 'bob', req.id);
  });

  it('execution during the hold', async () => {
    const req = await w.insertRequest({ tier: 'privileged' });
    await w.decide('alice', 'approve', req.id);
    await w.decide('bob', 'approve', req.id, { now: minutes(5) });
    const e = await expectRunRefused(gate(req.id, 'dave', minutes(30)), 'hold', 'dave', req.id);
    expect(e.message).toContain(minutes(65).toISOString());
  });

  it('the same owner counted twice (a second row slipped into the database)', async () => {
    const req = await w.insertRequest({ tier: 'privileged' });
    await w.decide('alice', 'approve', req.id);
    await w.store.approvals.insert(approvalFor(w.keys, req, 'alice', { at: minutes(1), ttlHours: 4 }));
    await expectRunRefused(gate(req.id, 'dave', hours(2)), 'quorum', 'dave', req.id);
  });

  it('an approval row inserted by hand without a valid signature', async () => {
    const req = await w.insertRequest();
    await w.store.approvals.insert(approvalFor(w.keys, req, 'alice', { key: 'mallory' }));
    await w.store.requests.update(req.id, { status: 'approved' });
    await expectRunRefused(gate(req.id, 'dave', hours(1)), 'bad-signature', 'dave', req.id);
  });

  it('an expired approval', async () => {
    const req = await w.insertRequest();
    await w.decide('alice', 'approve', req.id);
    await expectRunRefused(gate(req.id, 'dave', hours(30)), 'approval-expired', 'dave', req.id);
  });

  it('a run after a deny that followed an approve', async () => {
    const req = await w.insertRequest();
    await w.decide('alice', 'approve', req.id);
    await w.decide('bob', 'deny', req.id, { now: minutes(1) });
    await expectRunRefused(gate(req.id, 'dave', minutes(2)), 'denied', 'dave', req.id);
  });

  it('a run of an expired request marks it expired', async () => {
    const req = await w.insertRequest();
    await expectRunRefused(gate(req.id, 'dave', hours(25)), 'request-expired', 'dave', req.id);
    expect((await w.store.requests.get(req.id))?.status).toBe('expired');
  });

  it('break-glass without a reason, or by someone outside the group', async () => {
    const req = await w.insertRequest();
    await expectRunRefused(
      gate(req.id, 'sec', minutes(1), { reason: '' }),
      'break-glass-reason',
      'sec',
      req.id,
    );
    await expectRunRefused(
      gate(req.id, 'alice', minutes(1), { reason: 'because' }),
      'break-glass-not-allowed',
      'alice',
      req.id,
    );
  });
});

describe('gateRun: happy paths', () => {
  it('standard: one owner approves, anyone else runs', async () => {
    const req = await w.insertRequest();
    const out = await w.decide('alice', 'approve', req.id);
    const { authorization } = await gate(req.id, 'carol', minutes(1));
    expect(authorization).toMatchObject({
      mode: 'approved',
      approvers: ['alice'],
      approvalIds: [out.approval.id],
    });
  });

  it('privileged: two owners, the hold elapsed, a third principal runs', async () => {
    const req = await w.insertRequest({ tier: 'privileged' });
    await w.decide('alice', 'approve', req.id);
    const second = await w.decide('bob', 'approve', req.id, { now: minutes(5) });
    const { authorization } = await gate(req.id, 'dave', minutes(65));
    expect(authorization).toMatchObject({
      mode: 'approved',
      approvers: ['alice', 'bob'],
      holdUntil: second.holdUntil,
    });
    expect(await w.entries('run.refused')).toHaveLength(0);
  });

  it('break-glass: a security principal with a reason, no approvals needed', async () => {
    const req = await w.insertRequest({ tier: 'privileged' });
    const { authorization } = await gate(req.id, 'sec', minutes(1), {
      reason: 'active exfiltration, INC-43',
    });
    expect(authorization).toMatchObject({
      mode: 'break-glass',
      breakGlassReason: 'active exfiltration, INC-43',
    });
  });
});
