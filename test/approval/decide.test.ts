import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/lib/errors.js';
import { hours, makeWorld, minutes, signedProof, T0, type World } from './fixture.js';

let w: World;
beforeEach(() => {
  w = makeWorld();
});
afterEach(async () => {
  await w.close();
});

/** Refused with `rule`, and the refusal itself is on the audit log. */
async function expectRefused(
  attempt: Promise<unknown>,
  rule: string,
  who: string,
  requestId: string,
): Promise<PolicyError> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyError);
  expect((error as PolicyError).rule).toBe(rule);
  const refused = await w.entries('approval.refused');
  expect(refused.at(-1)?.data).toMatchObject({ rule, principal: who, requestId });
  expect(refused.at(-1)?.actor).toBe(who);
  return error as PolicyError;
}

describe('recordDecision refuses attacks, and records each refusal', () => {
  it('refuses self-approval, even when the requester is also an owner', async () => {
    const req = await w.insertRequest({ requester: 'alice', owners: ['alice', 'bob'] });
    await expectRefused(w.decide('alice', 'approve', req.id), 'self-approval', 'alice', req.id);
    expect(await w.approvals(req.id)).toHaveLength(0);
    expect((await w.store.requests.get(req.id))?.status).toBe('pending');
  });

  it('refuses an approval by a registered principal who is not an owner', async () => {
    const req = await w.insertRequest();
    await expectRefused(w.decide('dave', 'approve', req.id), 'not-owner', 'dave', req.id);
  });

  it('refuses a principal who is not registered at all', async () => {
    const req = await w.insertRequest({ owners: ['alice', 'mallory'] });
    await expectRefused(w.decide('mallory', 'approve', req.id), 'unknown-principal', 'mallory', req.id);
  });

  it('refuses a forged signature: the right name, another key (not the registered key’s private half)', async () => {
    const req = await w.insertRequest();
    const e = await expectRefused(
      w.decide('alice', 'approve', req.id, { key: 'mallory' }),
      'bad-signature',
      'alice',
      req.id,
    );
    expect(e.message).toMatch(/not the registered key/);
    await expectRefused(
      w.decide('alice', 'approve', req.id, { key: 'bob' }),
      'bad-signature',
      'alice',
      req.id,
    );
    expect(await w.approvals(req.id)).toHaveLength(0);
  });

  it('refuses an owner’s genuine signature over a different plan digest', async () => {
    const req = await w.insertRequest();
    const e = await expectRefused(
      w.decide('alice', 'approve', req.id, {
        planDigest: 'sha256:the-plan-alice-reviewed-before-it-changed',
      }),
      'digest-mismatch',
      'alice',
      req.id,
    );
    expect(e.message).toContain(req.planDigest);
  });

  it('refuses an approval replayed onto another request (the signature binds the request id)', async () => {
    const a = await w.insertRequest();
    const b = await w.insertRequest({ plan: a.plan, planDigest: a.planDigest });
    const done = await w.decide('alice', 'approve', a.id);
    const proof = done.approval.proof as unknown as ReturnType<typeof signedProof>;
    const e = await expectRefused(
      w.submit({ requestId: b.id, principal: 'alice', decision: 'approve', proof, now: minutes(5) }),
      'bad-signature',
      'alice',
      b.id,
    );
    expect(e.message).toMatch(/replayed/);
    expect(await w.approvals(b.id)).toHaveLength(0);
  });

  it('refuses a pre-signed decision whose signed expiry is past or beyond the tier’s TTL', async () => {
    const req = await w.insertRequest();
    const fields = {
      requestId: req.id,
      planDigest: req.planDigest,
      decision: 'approve' as const,
      principal: 'alice',
    };
    const stale = signedProof(w.keys.alice!.privateKey, { ...fields, expiresAt: minutes(-1).toISOString() });
    await expectRefused(
      w.submit({ requestId: req.id, principal: 'alice', decision: 'approve', proof: stale, now: T0 }),
      'approval-expired',
      'alice',
      req.id,
    );
    const forever = signedProof(w.keys.alice!.privateKey, {
      ...fields,
      expiresAt: hours(24 * 365).toISOString(),
    });
    await expectRefused(
      w.submit({ requestId: req.id, principal: 'alice', decision: 'approve', proof: forever, now: T0 }),
      'approval-ttl',
      'alice',
      req.id,
    );
  });

  it('refuses a decision on an expired request and marks it expired', async () => {
    const req = await w.insertRequest();
    await expectRefused(
      w.decide('alice', 'approve', req.id, { now: hours(25) }),
      'request-expired',
      'alice',
      req.id,
    );
    expect((await w.store.requests.get(req.id))?.status).toBe('expired');
  });

  it('refuses the same owner approving twice (an owner counts once toward a quorum)', async () => {
    const req = await w.insertRequest({ tier: 'privileged' });
    await w.decide('alice', 'approve', req.id);
    await expectRefused(
      w.decide('alice', 'approve', req.id, { now: minutes(1) }),
      'duplicate-approval',
      'alice',
      req.id,
    );
    expect(await w.approvals(req.id)).toHaveLength(1);
    expect((await w.store.requests.get(req.id))?.status).toBe('pending');
  });

  it('a deny after an approve ends the request, and no later approval revives it', async () => {
    const req = await w.insertRequest({ tier: 'privileged' });
    await w.decide('alice', 'approve', req.id);
    const denied = await w.decide('bob', 'deny', req.id, {
      now: minutes(1),
      comment: 'not during the freeze',
    });
    expect(denied.requestStatus).toBe('denied');
    expect((await w.store.requests.get(req.id))?.status).toBe('denied');
    await expectRefused(w.decide('bob', 'approve', req.id, { now: minutes(2) }), 'denied', 'bob', req.id);
  });

  it('refuses approval of a target with no registered owner (break-glass only)', async () => {
    const req = await w.insertRequest({ owners: ['someone-who-left'] });
    await expectRefused(w.decide('alice', 'approve', req.id), 'no-owner', 'alice', req.id);
  });

  it('refuses a decision on an unknown request', async () => {
    await expectRefused(w.decide('alice', 'approve', 'req_nope'), 'unknown-request', 'alice', 'req_nope');
  });
});

describe('recordDecision records a valid decision in one transaction', () => {
  it('standard: one owner approves; the request is approved and the audit entry carries the proof and key', async () => {
    const req = await w.insertRequest();
    const out = await w.decide('alice', 'approve', req.id, { comment: 'go' });
    expect(out).toMatchObject({
      requestStatus: 'approved',
      tier: 'standard',
      quorum: { have: 1, need: 1, approvers: ['alice'] },
    });
    expect(out.holdUntil).toBeUndefined();
    expect(out.approval.expiresAt).toBe(hours(24).toISOString());
    expect((await w.store.requests.get(req.id))?.status).toBe('approved');
    const [entry] = await w.entries('approval.recorded');
    expect(entry?.data).toMatchObject({
      requestId: req.id,
      principal: 'alice',
      decision: 'approve',
      planDigest: req.planDigest,
      expiresAt: out.approval.expiresAt,
      proof: { method: 'ed25519', keyId: w.registry.principal('alice')?.keyId },
      publicKey: w.registry.principal('alice')?.publicKeyPem,
    });
    expect(JSON.stringify(entry?.data)).not.toMatch(/PRIVATE KEY/);
  });

  it('privileged: pending after one owner, approved after the second, with a hold; the requester is notified', async () => {
    const req = await w.insertRequest({ tier: 'privileged' });
    const first = await w.decide('alice', 'approve', req.id);
    expect(first).toMatchObject({ requestStatus: 'pending', quorum: { have: 1, need: 2 } });
    expect(first.approval.expiresAt).toBe(hours(4).toISOString());
    const second = await w.decide('bob', 'approve', req.id, { now: minutes(10) });
    expect(second).toMatchObject({
      requestStatus: 'approved',
      quorum: { have: 2, need: 2, approvers: ['alice', 'bob'] },
    });
    expect(second.holdUntil).toBe(minutes(70).toISOString());
    const decisions = w.notifier.sent.filter((s) => s.event.event === 'approval.decision');
    expect(decisions).toHaveLength(2);
    expect(decisions[1]?.event.data).toMatchObject({
      requester: 'carol',
      recipients: [{ principal: 'carol', email: 'carol@example.com' }],
    });
    expect(decisions[1]?.event.summary).toMatch(/2 of 2 required\); ready to run at or after/);
  });

  it('an owner may re-approve once their earlier approval has expired', async () => {
    const req = await w.insertRequest({ tier: 'privileged' });
    await w.decide('alice', 'approve', req.id);
    const again = await w.decide('alice', 'approve', req.id, { now: hours(5) });
    expect(again.quorum).toMatchObject({ have: 1, need: 2 });
  });
});
