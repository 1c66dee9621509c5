import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScheduleConfig } from '../../src/config/schema.js';
import { createMemoryLogger } from '../../src/log.js';
import { missedRun, type ScheduleRunner, Scheduler } from '../../src/schedule/scheduler.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';

const nightly: ScheduleConfig = { cron: '0 2 * * *', timezone: 'UTC', providers: [] };
const everyMinute: ScheduleConfig = { cron: '* * * * *', timezone: 'UTC', providers: [] };

let store: Store;
let scheduler: Scheduler | undefined;

beforeEach(() => {
  store = openSqliteStore(':memory:');
});

afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
  vi.useRealTimers();
  await store.close();
});

function make(schedules: Record<string, ScheduleConfig>, run: ScheduleRunner) {
  const { logger, lines } = createMemoryLogger('debug');
  scheduler = new Scheduler({ schedules, state: store.schedules, run, logger, now: () => new Date() });
  return { scheduler, lines };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('scheduler', () => {
  it('runs a schedule at its cron time and persists the last run', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T01:59:00.000Z') });
    const run = vi.fn<ScheduleRunner>(async () => ({ status: 'completed', scanId: 'scan_1' }));
    const { scheduler: s } = make({ nightly }, run);
    await s.start();
    expect(run).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(run).toHaveBeenCalledTimes(1);
    expect(await store.schedules.get('nightly')).toEqual({
      name: 'nightly',
      lastRunAt: '2026-01-01T02:00:00.000Z',
      lastStatus: 'completed',
      lastScanId: 'scan_1',
    });
    expect(s.nextRun('nightly')).toMatch(/^2026-01-02T02:00:00/);
  });

  it('is single-flight: a tick while the previous run is going is skipped and logged', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:30.000Z') });
    const gate = deferred();
    const run = vi.fn<ScheduleRunner>(async () => {
      await gate.promise;
      return { status: 'completed' };
    });
    const { scheduler: s, lines } = make({ often: everyMinute }, run);
    await s.start();
    await vi.advanceTimersByTimeAsync(30_000); // 00:01:00 tick: starts
    expect(s.running()).toEqual(['often']);
    expect((await store.schedules.get('often'))?.runningSince).toBe('2026-01-01T00:01:00.000Z');
    await vi.advanceTimersByTimeAsync(60_000); // 00:02:00 tick: still running
    expect(run).toHaveBeenCalledTimes(1);
    expect(lines()).toMatch(/previous run still in progress: tick skipped/);
    gate.resolve();
    await vi.advanceTimersByTimeAsync(60_000); // 00:03:00 tick: runs again
    expect(run).toHaveBeenCalledTimes(2);
    const logged = lines()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(logged.some((l) => l.schedule === 'often' && l.level === 'warn')).toBe(true);
  });

  it('catches up a missed run on start, and only then', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T12:00:00.000Z') });
    await store.schedules.put({
      name: 'missed',
      lastRunAt: '2025-12-31T02:00:00.000Z',
      lastStatus: 'completed',
    });
    await store.schedules.put({
      name: 'current',
      lastRunAt: '2026-01-01T02:00:03.000Z',
      lastStatus: 'completed',
    });
    const run = vi.fn<ScheduleRunner>(async () => ({ status: 'completed' }));
    const { scheduler: s, lines } = make({ missed: nightly, current: nightly, fresh: nightly }, run);
    await s.start();
    expect(run.mock.calls.map((c) => c[0])).toEqual(['missed']);
    expect((await store.schedules.get('missed'))?.lastRunAt).toBe('2026-01-01T12:00:00.000Z');
    expect(lines()).toMatch(/missed run: catching up/);
  });

  it('stop() aborts a running scan; an interrupted run keeps the old lastRunAt so the next start catches up', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T01:59:59.000Z') });
    await store.schedules.put({
      name: 'nightly',
      lastRunAt: '2025-12-31T02:00:00.000Z',
      lastStatus: 'completed',
    });
    let sawAbort = false;
    const run = vi.fn<ScheduleRunner>(async (_n, _s, signal) => {
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      sawAbort = true;
      return { status: 'interrupted', scanId: 'scan_x' };
    });
    // The 02:00 run of 2025-12-31 was made, 2026-01-01 02:00 is 1 s away: no catch-up yet.
    const { scheduler: s } = make({ nightly }, run);
    await s.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(s.running()).toEqual(['nightly']);
    await s.stop();
    expect(sawAbort).toBe(true);
    const state = await store.schedules.get('nightly');
    expect(state).toMatchObject({
      lastRunAt: '2025-12-31T02:00:00.000Z',
      lastStatus: 'interrupted',
      lastScanId: 'scan_x',
    });
    expect(state?.runningSince).toBeUndefined();
    expect(missedRun(nightly, state?.lastRunAt ?? '', new Date('2026-01-01T02:00:05.000Z'))).toBe(true);
  });

  it('records a failed run and keeps ticking', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:59.000Z') });
    const run = vi.fn<ScheduleRunner>(async () => {
      throw new Error('provider unreachable');
    });
    const { scheduler: s, lines } = make({ often: everyMinute }, run);
    await s.start();
    await vi.advanceTimersByTimeAsync(61_000);
    expect(run).toHaveBeenCalledTimes(2);
    expect((await store.schedules.get('often'))?.lastStatus).toBe('error');
    expect(lines()).toMatch(/scheduled scan failed/);
  });

  it('refuses an invalid cron expression with the config path', () => {
    expect(() =>
      make({ bad: { ...nightly, cron: '61 * * * *' } }, async () => ({ status: 'completed' })),
    ).toThrow(/invalid cron/);
  });

  it('missedRun: the occurrence after the last run is due', () => {
    expect(missedRun(nightly, '2026-01-01T02:00:00.000Z', new Date('2026-01-02T01:59:59.000Z'))).toBe(false);
    expect(missedRun(nightly, '2026-01-01T02:00:00.000Z', new Date('2026-01-02T02:00:00.000Z'))).toBe(true);
    expect(
      missedRun(
        { cron: '0 2 * * *', timezone: 'Europe/Paris' },
        '2026-01-01T01:00:00.000Z',
        new Date('2026-01-02T00:59:00.000Z'),
      ),
    ).toBe(false);
  });
});
