import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/lib/secret.js';
import { signWebhookBody } from '../../src/notify/webhook.js';
import { ALERT_EVERYTHING, findingTargets } from '../../src/scan/alerts.js';
import { runScanJob } from '../../src/scan/service.js';
import { FakeProvider } from './fake-provider.js';
import { CANARY, type TestApp, testApp, testConfig } from './helpers.js';

const WEBHOOK_KEY = 'webhook-hmac-key-for-tests';
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  validSignature: boolean;
}

let server: Server;
let received: Received[];
let url: string;
const apps: TestApp[] = [];

beforeEach(async () => {
  received = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const ts = String(req.headers['x-nhi-timestamp']);
      const expected = signWebhookBody(new SecretValue(WEBHOOK_KEY), ts, body);
      received.push({
        headers: req.headers,
        body,
        validSignature: req.headers['x-nhi-signature'] === expected,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  await new Promise((r) => server.close(r));
});

function setup(events: string[] = ['finding']) {
  const provider = new FakeProvider();
  const { config } = testConfig({
    notify: {
      sec: { type: 'webhook', url, secret: 'env:NHI_WEBHOOK_KEY', events, minSeverity: 'info' },
      ops: { type: 'webhook', url, secret: 'env:NHI_WEBHOOK_KEY', events: ['run'] },
    },
  });
  let now = new Date('2026-01-01T00:00:00.000Z');
  const app = testApp({ providers: [provider], config, now: () => now });
  apps.push(app);
  return { app, provider, tick: (iso: string) => (now = new Date(iso)) };
}

const scanWithAlerts = (app: TestApp) =>
  runScanJob(app, {
    providers: [],
    actor: 'test',
    alerts: { targets: findingTargets(app.config.notify), filter: ALERT_EVERYTHING },
  });

describe('scan alerts over a loopback webhook', () => {
  it('signs every body, alerts once per finding across scans, and never sends a secret', async () => {
    const { app, provider, tick } = setup();
    // The canary is both the fingerprint key (config) and what a fake secret "holds".
    provider.put('orphan', {
      owners: [],
      tags: {},
      fingerprint: CANARY,
      versions: [{ id: 'v1', state: 'enabled', current: true, fingerprint: CANARY }],
    });
    provider.put('stale', { lastUsedAt: '2025-01-01T00:00:00.000Z', fingerprint: CANARY });
    expect(findingTargets(app.config.notify)).toEqual(['sec']);

    await scanWithAlerts(app);
    expect(received).toHaveLength(2);
    expect(received.every((r) => r.validSignature)).toBe(true);
    const events = received.map((r) => JSON.parse(r.body));
    expect(events.map((e) => e.event)).toEqual(['finding.new', 'finding.new']);
    expect(events.map((e) => e.data.type).sort()).toEqual(['dormant', 'orphaned']);

    tick('2026-01-02T00:00:00.000Z');
    await scanWithAlerts(app);
    expect(received).toHaveLength(2); // same findings: deduplicated

    tick('2026-01-03T00:00:00.000Z');
    provider.update('stale', { tags: { owner: 'alice', tier: 'privileged' } }); // dormant low -> medium
    await scanWithAlerts(app);
    expect(received).toHaveLength(3);
    expect(JSON.parse(received[2]?.body ?? '{}')).toMatchObject({
      event: 'finding.changed',
      data: { previousSeverity: 'low', severity: 'medium' },
    });

    for (const r of received) expect(r.body).not.toContain(CANARY);
    const deliveries = await app.store.deliveries.list();
    expect(JSON.stringify(deliveries)).not.toContain(CANARY);
    expect(app.logLines()).not.toContain(CANARY);
  });

  it('filters by type and minimum severity, and sends the overflow as one digest', async () => {
    const { app, provider } = setup();
    for (let i = 0; i < 60; i++) provider.put(`o${i}`, { owners: [], tags: {} });
    provider.put('d', { lastUsedAt: '2025-01-01T00:00:00.000Z' });
    await runScanJob(app, {
      providers: [],
      actor: 'test',
      alerts: { targets: ['sec'], filter: { types: ['dormant'], minSeverity: 'info' } },
    });
    expect(received.map((r) => JSON.parse(r.body).data.type)).toEqual(['dormant']);

    received = [];
    provider.put('x', { owners: [], tags: {}, lastUsedAt: '2025-01-01T00:00:00.000Z' });
    for (let i = 0; i < 60; i++) provider.put(`p${i}`, { owners: [], tags: {} });
    await runScanJob(app, {
      providers: [],
      actor: 'test',
      alerts: { targets: ['sec'], filter: { types: [], minSeverity: 'medium' } },
    });
    const bodies = received.map((r) => JSON.parse(r.body));
    expect(bodies.filter((b) => b.event === 'finding.new')).toHaveLength(50);
    const digest = bodies.find((b) => b.event === 'finding.digest');
    expect(digest?.data.remaining).toEqual({ 'orphaned|medium': 11 });
    expect(bodies.some((b) => b.data.type === 'dormant')).toBe(false); // low < medium
  });

  it('records a failed delivery when the receiver is down', async () => {
    const { app, provider } = setup();
    await new Promise((r) => server.close(r));
    server = createServer();
    provider.put('orphan', { owners: [], tags: {} });
    const job = await scanWithAlerts(app);
    expect(job.alertOutcomes.map((o) => o.status)).toEqual(['failed']);
    expect(await app.store.deliveries.list({ status: 'failed' })).toHaveLength(1);
    expect((await app.store.audit.head())?.data).toMatchObject({ alertsFailed: 1 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
});
