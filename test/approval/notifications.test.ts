import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notifyBreakGlass } from '../../src/approval/break-glass-notices.js';
import { notifyDecision, notifyRequestCreated } from '../../src/approval/notifications.js';
import { remindExpiringRequests } from '../../src/approval/reminders.js';
import { createLogger } from '../../src/log.js';
import { createNotifier, type Notifier } from '../../src/notify/notifier.js';
import { SIGNATURE_HEADER } from '../../src/notify/webhook.js';
import { FINGERPRINT_SECRET, makeWorld, WEBHOOK_SECRET, type World } from './fixture.js';

interface Sent {
  url: string;
  body: { event: string; severity: string; subject: string; summary: string; data: Record<string, unknown> };
  signature: string | null;
}

const target = (path: string, events: string[]) => ({
  type: 'webhook',
  url: `http://127.0.0.1:9/${path}`,
  secret: 'file:./webhook.key',
  events,
  attempts: 1,
});

let w: World;
let sent: Sent[];
let notifier: Notifier;
beforeEach(() => {
  w = makeWorld({
    notify: {
      owners: target('owners', ['request.created', 'approval']),
      'sec-channel': target('sec', []),
      'priv-alerts': target('priv', []),
      'scan-alerts': target('scan', []),
    },
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
  sent = [];
  const fetchImpl = (async (url: string | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    sent.push({
      url: String(url),
      body: JSON.parse(String(init?.body)),
      signature: headers.get(SIGNATURE_HEADER),
    });
    return new Response('ok', { status: 200 });
  }) as typeof fetch;
  notifier = createNotifier({
    targets: w.config.notify,
    deliveries: w.store.deliveries,
    logger: createLogger({ level: 'silent' }),
    fetchImpl,
  });
});
afterEach(async () => {
  await w.close();
});

const to = (path: string) => sent.filter((s) => s.url.endsWith(`/${path}`));

function expectNoSecrets() {
  const all = JSON.stringify(sent.map((s) => s.body));
  expect(all).not.toContain(FINGERPRINT_SECRET);
  expect(all).not.toContain(WEBHOOK_SECRET);
  expect(all).not.toMatch(/PRIVATE KEY/);
}

describe('approval notifications', () => {
  it('a standard request goes to the owners’ subscribed target with the exact approve command', async () => {
    const req = await w.insertRequest();
    await notifyRequestCreated(notifier, w.config, req);
    expect(sent.map((s) => s.url)).toEqual(['http://127.0.0.1:9/owners']);
    const body = to('owners')[0]?.body;
    expect(body).toMatchObject({ event: 'request.created', severity: 'medium', subject: req.id });
    expect(body?.data.approve).toEqual({
      alice: `nhi approve ${req.id} --as alice --key <private-key-file> --digest ${req.planDigest}`,
      bob: `nhi approve ${req.id} --as bob --key <private-key-file> --digest ${req.planDigest}`,
    });
    expect(body?.data.recipients).toEqual([
      { principal: 'alice', email: 'alice@example.com' },
      { principal: 'bob', email: 'bob@example.com' },
    ]);
    // The versions that lose access, the readable plan (view + Markdown) and the signed policy.
    expect(body?.data.revoke).toEqual(['3']);
    expect(body?.data.plan).toMatchObject({
      kind: 'nhi-plan-view',
      ref: req.ref,
      digest: req.planDigest,
      revoke: { mode: 'destroy', versions: [{ versionId: '3', current: true }] },
      request: { id: req.id, requester: 'carol', ticket: 'INC-42', planMatches: true },
    });
    expect(body?.data.markdown).toContain('- revoke version id 3 (current), mode destroy');
    expect(body?.data.markdown).toContain(
      `nhi deny ${req.id} --as bob --key <private-key-file> --digest ${req.planDigest}`,
    );
    expect(body?.data.policy).toEqual({
      quorum: 1,
      holdMinutes: 0,
      approvalTtlHours: 24,
      executorNotApprover: false,
    });
    expect(body?.summary).toContain(
      `nhi approve ${req.id} --as <owner> --key <private-key-file> --digest ${req.planDigest}`,
    );
    expect(to('owners')[0]?.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    const deliveries = await w.store.deliveries.list({ subject: req.id });
    expect(deliveries.map((d) => d.status)).toEqual(['delivered']);
    expectNoSecrets();
  });

  it('a privileged request also alerts the privileged and security channels at high severity, once each', async () => {
    const req = await w.insertRequest({ tier: 'privileged' });
    await notifyRequestCreated(notifier, w.config, req);
    expect(to('owners')[0]?.body).toMatchObject({ event: 'request.created', severity: 'high' });
    expect(to('priv')).toHaveLength(1);
    expect(to('priv')[0]?.body.event).toBe('request.created');
    expect(to('sec')).toHaveLength(1);
    expect(to('sec')[0]?.body).toMatchObject({ event: 'request.privileged', severity: 'high' });
    expect(to('scan')).toHaveLength(0);
    expectNoSecrets();
  });

  it('a decision tells the requester', async () => {
    const req = await w.insertRequest();
    const out = await w.decide('alice', 'approve', req.id);
    await notifyDecision(notifier, w.config, {
      request: { ...req, status: 'approved' },
      approval: out.approval,
      quorum: out.quorum,
    });
    expect(to('owners')[0]?.body).toMatchObject({
      event: 'approval.decision',
      data: {
        requester: 'carol',
        recipients: [{ principal: 'carol', email: 'carol@example.com' }],
        decision: 'approve',
      },
    });
    expect(to('owners')[0]?.body.summary).toMatch(/approved by alice \(1 of 1 required\); ready to run/);
    expectNoSecrets();
  });

  it('break-glass alerts the security channel at critical severity and asks the owners for review', async () => {
    const req = await w.insertRequest();
    await notifyBreakGlass(notifier, w.config, {
      request: req,
      executor: 'sec',
      reason: 'active exfiltration',
      runId: 'run_1',
    });
    expect(to('sec')[0]?.body).toMatchObject({
      event: 'run.break-glass',
      severity: 'critical',
      subject: 'run_1',
      data: {
        executor: 'sec',
        reason: 'active exfiltration',
        reviewRequired: true,
        owners: ['alice', 'bob'],
      },
    });
    expectNoSecrets();
  });
});

describe('reminders before expiry', () => {
  it('reminds the owners once, near expiry, with the plan and the commands; never one whose quorum is met', async () => {
    const waiting = await w.insertRequest();
    const met = await w.insertRequest();
    await w.decide('alice', 'approve', met.id);
    const deps = { store: w.store, audit: w.audit, notifier, config: w.config, registry: w.registry };
    const expires = Date.parse(waiting.expiresAt);
    // Too early: more than remindBeforeHours (default 4) before expiry.
    expect(await remindExpiringRequests(deps, new Date(expires - 5 * 3_600_000))).toEqual([]);
    sent.length = 0;
    const near = new Date(expires - 3_600_000);
    expect(await remindExpiringRequests(deps, near)).toEqual([waiting.id]);
    expect(sent.map((s) => [s.url, s.body.event])).toEqual([
      ['http://127.0.0.1:9/owners', 'request.created.reminder'],
    ]);
    const body = sent[0]?.body;
    expect(body?.summary).toMatch(/^REMINDER \(0 of 1 approvals, expires /);
    expect(body?.data.revoke).toEqual(waiting.plan.revoke.versions.map((v) => v.versionId));
    expect(String(body?.data.markdown)).toContain(`--digest ${waiting.planDigest}`);
    expect(body?.data.approve).toMatchObject({
      alice: expect.stringContaining(`--digest ${waiting.planDigest}`),
    });
    // Once only, and audited.
    expect(await remindExpiringRequests(deps, new Date(expires - 60_000))).toEqual([]);
    expect((await w.entries('request.reminded')).map((e) => e.subject)).toEqual([waiting.id]);
    expectNoSecrets();
  });
});
