/**
 * Issue 11 item 6: the state store fills up mid-run. Before: exit 1 "internal error: database
 * or disk is full", the run left `running`, no alert. Now: a store error naming
 * `nhi resume <run-id>`, the failure alert delivered although it cannot be recorded, the run
 * shown as interrupted (no live lease), and `nhi resume` finishes it once there is space.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/log.js';
import { createNotifier } from '../../src/notify/notifier.js';
import { liveRunLease, RUN_LEASE_TTL_MS } from '../../src/runbook/leases.js';
import { resumeRun, startRun } from '../../src/runbook/runs.js';
import { storeCannotWrite } from '../../src/store/write-failure.js';
import { fullDiskStore, sqliteFullError } from '../store/full-disk.js';
import { createHarness } from './harness.js';

let server: Server;
let url: string;
const alerts: { event: string; summary: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      alerts.push(JSON.parse(body) as { event: string; summary: string });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

function fullDiskHarness() {
  const h = createHarness({
    config: { notify: { security: { type: 'webhook', url, secret: 'env:HOOK_KEY', attempts: 1 } } },
    env: { HOOK_KEY: 'hook-key' },
  });
  const disk = fullDiskStore(h.store);
  const notifier = createNotifier({
    targets: h.config.notify,
    deliveries: disk.store.deliveries,
    logger: createMemoryLogger('warn').logger,
  });
  return { h, disk, deps: { ...h.deps, store: disk.store, notifier } };
}

describe('disk full mid-run (issue 11 item 6)', () => {
  it('the fault is the one SQLite raises for a full database', () => {
    const error = sqliteFullError();
    expect(error).toMatchObject({ code: 'SQLITE_FULL', message: 'database or disk is full' });
    expect(storeCannotWrite(error)).toBe(true);
    expect(storeCannotWrite(new Error('disk full'))).toBe(false);
  });

  it('after the revoke: a store error naming nhi resume, an alert, an interrupted run, and resume finishes it', async () => {
    const { h, disk, deps } = fullDiskHarness();
    const requestId = await h.approvedRequest('svc/full');
    const revoke = h.provider.revoke.bind(h.provider);
    h.provider.revoke = async (...args) => {
      const result = await revoke(...args);
      disk.fill(); // the revoke took effect; recording its outcome is what fails
      return result;
    };
    alerts.length = 0;

    const error = await startRun(deps, { requestId, executor: 'carol' }).catch((e: unknown) => e);
    const [run] = await h.store.runs.forRequest(requestId);
    if (!run) throw new Error('no run recorded');
    expect(error).toMatchObject({ code: 'store', context: { runId: run.id, status: 'interrupted' } });
    const message = (error as Error).message;
    expect(message).toContain(`run ${run.id} was interrupted`);
    expect(message).toContain('database or disk is full');
    expect(message).toContain('may already be revoked');
    expect(message).toContain(`nhi resume ${run.id}`);
    expect(disk.refused).toBeGreaterThan(0);

    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.event).toBe('run.interrupted');
    expect(alerts[0]?.summary).toContain(`nhi resume ${run.id}`);

    // Nothing could be recorded: still `running`, and no live lease once this holder is gone.
    expect(run.status).toBe('running');
    const later = new Date(Date.now() + RUN_LEASE_TTL_MS + 1_000);
    expect(await liveRunLease(h.store, h.deps.leaseHolder, run.id, later)).toBeUndefined();

    disk.free();
    h.provider.revoke = revoke;
    const resumed = await resumeRun(deps, run.id, 'carol');
    expect(resumed.status).toBe('completed');
    expect(h.provider.live('svc/full')).toHaveLength(1);
  });

  it('when the status can still be written, the run ends needs-attention and the alert says so', async () => {
    const { h, disk, deps } = fullDiskHarness();
    const requestId = await h.approvedRequest('svc/half');
    const revoke = h.provider.revoke.bind(h.provider);
    let failOnce = true;
    h.provider.revoke = async (...args) => {
      const result = await revoke(...args);
      disk.fill();
      return result;
    };
    // Space frees up (another process deleted a file) right after the outcome commit failed.
    const transaction = disk.store.transaction;
    disk.store.transaction = async (fn) => {
      try {
        return await transaction(fn);
      } catch (e) {
        if (failOnce && storeCannotWrite(e)) {
          failOnce = false;
          disk.free();
        }
        throw e;
      }
    };
    alerts.length = 0;
    const error = await startRun(deps, { requestId, executor: 'carol' }).catch((e: unknown) => e);
    const [run] = await h.store.runs.forRequest(requestId);
    expect(error).toMatchObject({ code: 'store', context: { status: 'needs-attention' } });
    expect(run?.status).toBe('needs-attention');
    expect(alerts.map((a) => a.event)).toEqual(['run.needs-attention']);
  });
});
