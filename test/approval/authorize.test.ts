import { afterAll, describe, expect, it } from 'vitest';
import { type AuthorizeRunInput, authorizeRun } from '../../src/approval/decisions/authorize.js';
import { trustedRequest } from '../../src/approval/decisions/signed-request.js';
import { createOwnerRegistry } from '../../src/approval/owners/owner-registry.js';
import { PolicyError } from '../../src/lib/errors.js';
import type { ApprovalRecord, RecoveryRequest } from '../../src/store/types.js';
import { approvalFor, hours, makePolicyWorld, minutes, requestFixture, T0 } from './fixture.js';

const w = makePolicyWorld();
afterAll(() => w.cleanup());

const approve = (req: RecoveryRequest, who: string, opts: Parameters<typeof approvalFor>[3] = {}) =>
  approvalFor(w.keys, req, who, { ttlHours: req.tier === 'privileged' ? 4 : 24, ...opts });

function run(
  request: RecoveryRequest,
  approvals: ApprovalRecord[],
  over: Partial<Omit<AuthorizeRunInput, 'request' | 'approvals'>> = {},
) {
  return authorizeRun({
    request: trustedRequest(request),
    approvals,
    executor: 'dave',
    now: T0,
    config: w.config,
    registry: w.registry,
    ...over,
  });
}

function refusal(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error('expected a PolicyError, but the run was authorized');
}

describe('authorizeRun refuses', () => {
  it('a request with no approval (not-approved)', () => {
    expect(refusal(() => run(requestFixture(), [])).rule).toBe('not-approved');
  });

  it('an approval row inserted by hand without a valid signature (bad-signature; it does not count)', () => {
    const req = requestFixture();
    const forged = approve(req, 'alice', { key: 'mallory' });
    expect(refusal(() => run(req, [forged], { now: minutes(1) })).rule).toBe('bad-signature');
    const noProof = { ...approve(req, 'alice'), proof: {} };
    expect(refusal(() => run(req, [noProof])).rule).toBe('bad-signature');
    const otherSig = approve(req, 'bob');
    const spliced = {
      ...approve(req, 'alice'),
      proof: { ...approve(req, 'alice').proof, signature: otherSig.proof.signature },
    };
    expect(refusal(() => run(req, [spliced])).rule).toBe('bad-signature');
  });

  it('an approval replayed from another request (the signed request id differs)', () => {
    const a = requestFixture();
    const b = requestFixture({ plan: a.plan, planDigest: a.planDigest });
    const replayed = { ...approve(a, 'alice'), requestId: b.id };
    const e = refusal(() => run(b, [replayed]));
    expect(e.rule).toBe('bad-signature');
    expect(e.message).toMatch(/replayed/);
  });

  it('an approval of an earlier plan (digest-mismatch), even if the row was edited to the new digest', () => {
    const req = requestFixture();
    const old = approve(req, 'alice', { planDigest: 'sha256:previous-plan' });
    expect(refusal(() => run(req, [old])).rule).toBe('digest-mismatch');
    expect(refusal(() => run(req, [{ ...old, planDigest: req.planDigest }])).rule).toBe('digest-mismatch');
  });

  it('an expired approval (approval-expired), and one whose expiry was extended in the row', () => {
    // Approved in time, run too late: the request no longer expires, its approval does.
    const req = requestFixture({ status: 'approved' });
    const a = approve(req, 'alice');
    expect(refusal(() => run(req, [a], { now: hours(24) })).rule).toBe('approval-expired');
    const extended = { ...a, expiresAt: hours(48).toISOString() };
    expect(refusal(() => run(req, [extended], { now: hours(25) })).rule).toBe('bad-signature');
  });

  it('an expired or pending-past-TTL request (request-expired)', () => {
    const req = requestFixture();
    expect(refusal(() => run(req, [approve(req, 'alice')], { now: hours(24) })).rule).toBe('request-expired');
    expect(refusal(() => run({ ...req, status: 'expired' }, [])).rule).toBe('request-expired');
  });

  it('a denied request, whatever approvals it also has (denied)', () => {
    const req = requestFixture({ tier: 'privileged' });
    const rows = [approve(req, 'alice'), approve(req, 'bob', { decision: 'deny', at: minutes(1) })];
    expect(refusal(() => run(req, rows, { now: hours(2) })).rule).toBe('denied');
    expect(refusal(() => run({ ...req, status: 'denied' }, [approve(req, 'alice')])).rule).toBe('denied');
    // Break-glass does not override an owner's deny either: file a new request.
    expect(
      refusal(() => run(req, rows, { executor: 'sec', breakGlass: { reason: 'exfiltration' } })).rule,
    ).toBe('denied');
  });

  it('the same owner counted twice toward a privileged quorum (quorum)', () => {
    const req = requestFixture({ tier: 'privileged' });
    const e = refusal(() =>
      run(req, [approve(req, 'alice'), approve(req, 'alice', { at: minutes(5) })], { now: hours(2) }),
    );
    expect(e.rule).toBe('quorum');
    expect(e.message).toMatch(/needs approval by 2 distinct owners/);
  });

  it('one key registered under two names meets no quorum of two (issue 10: keys count, not names)', () => {
    // A registry config check would refuse; the quorum holds even if it is edited around that check.
    const owners = w.config.owners;
    const registry = createOwnerRegistry(
      {
        ...owners,
        principals: { ...owners.principals, alice2: { ...owners.principals.alice! } },
        teams: { ...owners.teams, payments: ['alice', 'alice2', 'bob'] },
      },
      w.dir,
    );
    const req = requestFixture({ tier: 'privileged', owners: ['alice', 'alice2', 'bob'] });
    const twice = [approve(req, 'alice'), { ...approve(req, 'alice2', { key: 'alice' }) }];
    const e = refusal(() => run(req, twice, { now: hours(2), registry }));
    expect(e.rule).toBe('quorum');
    expect(e.message).toMatch(/alice2 \(same-key\)/);
  });

  it('a quorum short because one approval has expired names it (quorum)', () => {
    const req = requestFixture({ tier: 'privileged' });
    const rows = [approve(req, 'alice'), approve(req, 'bob', { at: hours(3) })];
    const e = refusal(() => run(req, rows, { now: hours(4) }));
    expect(e.rule).toBe('quorum');
    expect(e.message).toMatch(/alice \(approval-expired\)/);
  });

  it('approvals by the requester or a non-owner do not count (self-approval, not-owner)', () => {
    const req = requestFixture({ requester: 'alice' });
    expect(refusal(() => run(req, [approve(req, 'alice')])).rule).toBe('self-approval');
    const req2 = requestFixture();
    expect(refusal(() => run(req2, [approve(req2, 'dave')], { executor: 'sec' })).rule).toBe('not-owner');
  });

  it('a privileged run executed by one of its approvers (executor-is-approver)', () => {
    const req = requestFixture({ tier: 'privileged' });
    const rows = [approve(req, 'alice'), approve(req, 'bob', { at: minutes(10) })];
    expect(refusal(() => run(req, rows, { executor: 'alice', now: hours(2) })).rule).toBe(
      'executor-is-approver',
    );
  });

  it('a privileged run during the hold, saying when it may run (hold)', () => {
    const req = requestFixture({ tier: 'privileged' });
    const rows = [approve(req, 'alice'), approve(req, 'bob', { at: minutes(10) })];
    const e = refusal(() => run(req, rows, { now: minutes(69) }));
    expect(e.rule).toBe('hold');
    expect(e.message).toContain(minutes(70).toISOString());
    expect(refusal(() => run(req, rows, { now: new Date(minutes(70).getTime() - 1) })).rule).toBe('hold');
  });

  it('a hold cannot be shortened by backdating a row’s createdAt (the signed expiry pins the time)', () => {
    const req = requestFixture({ tier: 'privileged' });
    const bob = approve(req, 'bob', { at: minutes(10) });
    const rows = [approve(req, 'alice'), { ...bob, createdAt: hours(-5).toISOString() }];
    expect(refusal(() => run(req, rows, { now: minutes(69) })).rule).toBe('hold');
  });

  it('break-glass without a reason, or by someone outside the group', () => {
    const req = requestFixture({ tier: 'privileged' });
    expect(refusal(() => run(req, [], { executor: 'sec', breakGlass: {} })).rule).toBe('break-glass-reason');
    expect(refusal(() => run(req, [], { executor: 'sec', breakGlass: { reason: '   ' } })).rule).toBe(
      'break-glass-reason',
    );
    expect(refusal(() => run(req, [], { executor: 'dave', breakGlass: { reason: 'urgent' } })).rule).toBe(
      'break-glass-not-allowed',
    );
    expect(refusal(() => run(req, [], { executor: 'mallory', breakGlass: { reason: 'urgent' } })).rule).toBe(
      'break-glass-not-allowed',
    );
  });

  it('a target with no registered owner without break-glass (no-owner)', () => {
    const req = requestFixture({ owners: ['someone-who-left'] });
    expect(refusal(() => run(req, [])).rule).toBe('no-owner');
  });

  it('a request that is already running or done (not-runnable)', () => {
    const req = requestFixture({ status: 'completed' });
    expect(refusal(() => run(req, [approve(req, 'alice')])).rule).toBe('not-runnable');
  });
});

describe('authorizeRun allows', () => {
  it('standard: one owner’s approval', () => {
    const req = requestFixture();
    const a = approve(req, 'alice');
    expect(run(req, [a], { now: hours(1) })).toEqual({
      mode: 'approved',
      tier: 'standard',
      approvers: ['alice'],
      approvalIds: [a.id],
      ignored: [],
    });
  });

  it('privileged: two distinct owners, executed by a third principal once the hold has elapsed', () => {
    const req = requestFixture({ tier: 'privileged' });
    const rows = [approve(req, 'alice'), approve(req, 'bob', { at: minutes(10) })];
    const auth = run(req, rows, { now: minutes(70) });
    expect(auth).toMatchObject({
      mode: 'approved',
      approvers: ['alice', 'bob'],
      holdUntil: minutes(70).toISOString(),
    });
    expect(auth.approvalIds).toEqual(rows.map((r) => r.id));
  });

  it('privileged: a forged extra row is reported as ignored but does not block a genuine quorum', () => {
    const req = requestFixture({ tier: 'privileged' });
    const rows = [approve(req, 'alice'), approve(req, 'bob'), approve(req, 'carol', { key: 'mallory' })];
    const auth = run(req, rows, { now: hours(2) });
    expect(auth.approvers).toEqual(['alice', 'bob']);
    expect(auth.ignored).toEqual([expect.objectContaining({ principal: 'carol', rule: 'bad-signature' })]);
  });

  it('break-glass by a member of the security team with a reason, skipping approval and hold', () => {
    const req = requestFixture({ tier: 'privileged', owners: [] });
    expect(
      run(req, [], { executor: 'sec', breakGlass: { reason: '  active exfiltration  ' } }),
    ).toMatchObject({
      mode: 'break-glass',
      approvers: [],
      breakGlassReason: 'active exfiltration',
    });
  });
});
