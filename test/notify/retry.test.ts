/**
 * Failed webhook deliveries are retried with exponential backoff (nextAttemptAt on the row,
 * attempts counted) until delivered or expired (target `retry`), against a local receiver on
 * 127.0.0.1 that fails its first N requests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/log.js';
import { createNotifier, deliveryState } from '../../src/notify/notifier.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { testConfig } from '../scan/helpers.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** Answers 503 to its first `failures` requests, then 204. */
async function receiver(failures: number): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits++;
      res.statusCode = hits <= failures ? 503 : 204;
      res.end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits: () => hits };
}

function setup(url: string, retry: { maxAttempts: number; maxAgeHours: number }) {
  const { config } = testConfig({
    notify: {
      sec: { type: 'webhook', url, secret: 'env:NHI_WEBHOOK_KEY', attempts: 1, timeoutMs: 2_000, retry },
    },
  });
  const store = openSqliteStore(config.state.path);
  let clock = new Date('2026-01-01T00:00:00.000Z');
  const notifier = createNotifier({
    targets: config.notify,
    deliveries: store.deliveries,
    logger: createMemoryLogger('silent').logger,
    now: () => clock,
    sleep: async () => undefined,
  });
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  const event = { event: 'finding.new', severity: 'high' as const, subject: 'x', summary: 's' };
  return { store, notifier, advance, event };
}

describe('webhook delivery retries', () => {
  it('backs off, retries when due, and ends delivered', async () => {
    const r = await receiver(2);
    const { store, notifier, advance, event } = setup(r.url, { maxAttempts: 5, maxAgeHours: 24 });
    const [first] = await notifier.notify(['sec'], event);
    expect(first?.status).toBe('failed');
    let [d] = await store.deliveries.list({ status: 'failed' });
    expect(d).toMatchObject({ attempts: 1, nextAttemptAt: '2026-01-01T00:01:00.000Z' });
    expect(deliveryState(d as NonNullable<typeof d>)).toBe(
      'failed, retrying at 2026-01-01T00:01:00.000Z (attempt 2)',
    );

    expect(await notifier.retryFailed()).toEqual([]); // not due yet
    expect(r.hits()).toBe(1);
    advance(60_000);
    expect((await notifier.retryFailed())[0]?.status).toBe('failed');
    [d] = await store.deliveries.list({ status: 'failed' });
    // The second round waits twice as long.
    expect(d).toMatchObject({ attempts: 2, nextAttemptAt: '2026-01-01T00:03:00.000Z' });
    advance(120_000);
    expect((await notifier.retryFailed())[0]?.status).toBe('delivered');
    const [done] = await store.deliveries.list({ status: 'delivered' });
    expect(done?.attempts).toBe(3);
    expect(done?.nextAttemptAt).toBeUndefined();
    expect(r.hits()).toBe(3);
    advance(3_600_000);
    expect(await notifier.retryFailed()).toEqual([]);
    await store.close();
  });

  it('expires after maxAttempts and is not retried again', async () => {
    const r = await receiver(1_000);
    const { store, notifier, advance, event } = setup(r.url, { maxAttempts: 3, maxAgeHours: 24 });
    await notifier.notify(['sec'], event);
    for (let i = 0; i < 5; i++) {
      advance(3_600_000);
      await notifier.retryFailed();
    }
    expect(r.hits()).toBe(3);
    const [d] = await store.deliveries.list({ status: 'expired' });
    expect(d).toMatchObject({ attempts: 3, lastError: 'HTTP 503' });
    expect(d?.nextAttemptAt).toBeUndefined();
    expect(deliveryState(d as NonNullable<typeof d>)).toBe('expired after 3 attempt(s)');
    await store.close();
  });

  it('expires when the next round would fall after maxAgeHours', async () => {
    const r = await receiver(1_000);
    const { store, notifier, event } = setup(r.url, { maxAttempts: 100, maxAgeHours: 0.01 });
    expect((await notifier.notify(['sec'], event))[0]?.status).toBe('expired');
    expect(r.hits()).toBe(1);
    await store.close();
  });
});
