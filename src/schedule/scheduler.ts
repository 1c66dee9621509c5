/**
 * Cron schedules for `nhi serve` (docs/adr/054-scheduler.md): one CronJob per schedule,
 * single-flight per schedule (a tick while the previous run is still going is skipped and
 * logged), last run persisted, a missed run caught up on start, and a stop() that aborts
 * running scans and waits for them to record their interruption.
 */
import { CronJob, CronTime } from 'cron';
import type { Logger } from 'pino';
import type { ScheduleConfig } from '../config/schema.js';
import { ConfigError } from '../lib/errors.js';
import { own } from '../lib/own.js';
import type { ScheduleArea } from '../store/store.js';
import { scheduleTimeProblems } from './cron-check.js';

export interface ScheduleRunResult {
  status: string;
  scanId?: string;
}

/** Runs one schedule once; must honour `signal` (abort = stop the scan, mark it interrupted). */
export type ScheduleRunner = (
  name: string,
  schedule: ScheduleConfig,
  signal: AbortSignal,
) => Promise<ScheduleRunResult>;

export interface SchedulerDeps {
  schedules: Readonly<Record<string, ScheduleConfig>>;
  state: ScheduleArea;
  run: ScheduleRunner;
  logger: Logger;
  now: () => Date;
  /**
   * Claim one scheduled occurrence before scanning it; false = already scanned (by this or
   * another instance on the same store) or this instance no longer leads. Without it every
   * occurrence this process sees runs (a single instance).
   */
  claimTick?: (name: string, tickAt: Date) => Promise<boolean>;
}

export type TriggerReason = 'cron' | 'catch-up' | 'manual';

/**
 * The occurrence after `lastRunAt` is due (<= now): at least one scheduled run was missed.
 * Equivalent to "the last run is older than the previous cron occurrence".
 */
export function missedRun(
  schedule: Pick<ScheduleConfig, 'cron' | 'timezone'>,
  lastRunAt: string,
  now: Date,
): boolean {
  const next = new CronTime(schedule.cron, schedule.timezone).getNextDateFrom(
    new Date(lastRunAt),
    schedule.timezone,
  );
  return next.toMillis() <= now.getTime();
}

/** The last occurrence after `after` and at or before `now` (the one a catch-up stands for). */
export function latestOccurrence(
  schedule: Pick<ScheduleConfig, 'cron' | 'timezone'>,
  after: Date,
  now: Date,
): Date | undefined {
  const time = new CronTime(schedule.cron, schedule.timezone);
  let latest: Date | undefined;
  let at = after;
  // A frequent schedule after a long outage has many; bounded, the newest found stands for them.
  for (let i = 0; i < 100_000; i++) {
    const next = time.getNextDateFrom(at, schedule.timezone).toJSDate();
    if (next.getTime() > now.getTime()) break;
    latest = next;
    at = next;
  }
  return latest;
}

export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #jobs = new Map<string, CronJob>();
  readonly #running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  #stopping = false;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    // The same check as `nhi config check` (cron-check.ts): refuse before any job starts.
    const problems = Object.entries(deps.schedules).flatMap(([name, s]) => scheduleTimeProblems(name, s));
    if (problems.length > 0) {
      throw new ConfigError(
        `${problems.length} schedule problem(s): invalid cron expression or time zone`,
        problems,
      );
    }
  }

  /** Start the cron jobs, then catch up schedules whose last run missed an occurrence. */
  async start(): Promise<void> {
    for (const [name, s] of Object.entries(this.#deps.schedules)) {
      // The occurrence each tick stands for, known before it fires (cron may fire a little late).
      let occurrence: Date | undefined;
      const job = CronJob.from({
        cronTime: s.cron,
        timeZone: s.timezone,
        start: false,
        onTick: () => {
          const tickAt = occurrence ?? this.#deps.now();
          occurrence = new CronTime(s.cron, s.timezone).getNextDateFrom(tickAt, s.timezone).toJSDate();
          void this.trigger(name, 'cron', tickAt);
        },
        errorHandler: (error) =>
          this.#deps.logger.error({ schedule: name, err: String(error) }, 'schedule tick failed'),
      });
      this.#jobs.set(name, job);
      job.start();
      occurrence = job.nextDate().toJSDate();
      this.#deps.logger.info(
        { schedule: name, cron: s.cron, timezone: s.timezone, next: job.nextDate().toISO() },
        'schedule started',
      );
    }
    const catchUps: Promise<unknown>[] = [];
    for (const [name, s] of Object.entries(this.#deps.schedules)) {
      const state = await this.#deps.state.get(name);
      // A schedule that never ran has no missed run to make up (it is new to this store).
      if (state?.lastRunAt && missedRun(s, state.lastRunAt, this.#deps.now())) {
        this.#deps.logger.info({ schedule: name, lastRunAt: state.lastRunAt }, 'missed run: catching up');
        const tickAt = latestOccurrence(s, new Date(state.lastRunAt), this.#deps.now());
        catchUps.push(this.trigger(name, 'catch-up', tickAt));
      }
    }
    await Promise.all(catchUps);
  }

  running(): string[] {
    return [...this.#running.keys()];
  }

  nextRun(name: string): string | undefined {
    return this.#jobs.get(name)?.nextDate().toISO() ?? undefined;
  }

  /** Run a schedule now unless it is already running (single-flight) or the scheduler is stopping. */
  async trigger(name: string, reason: TriggerReason, tickAt?: Date): Promise<'ran' | 'skipped' | 'failed'> {
    const schedule = own(this.#deps.schedules, name);
    const log = this.#deps.logger.child({
      schedule: name,
      reason,
      ...(tickAt ? { tick: tickAt.toISOString() } : {}),
    });
    if (!schedule || this.#stopping) return 'skipped';
    if (this.#running.has(name)) {
      log.warn(
        { runningSince: await this.#runningSince(name) },
        'previous run still in progress: tick skipped',
      );
      return 'skipped';
    }
    // A cron tick is fire-and-forget: a store that does not answer (a database restart) must
    // cost this occurrence, not the process. The next occurrence claims and runs as usual.
    try {
      if (tickAt && this.#deps.claimTick && !(await this.#deps.claimTick(name, tickAt))) {
        log.info('occurrence already scanned or not leading: tick skipped');
        return 'skipped';
      }
      const abort = new AbortController();
      const done = this.#runOnce(name, schedule, abort.signal, log);
      this.#running.set(name, { abort, done });
      try {
        await done;
      } finally {
        this.#running.delete(name);
      }
      return 'ran';
    } catch (error) {
      log.error(
        { err: error instanceof Error ? error.message : String(error) },
        'scheduled tick failed; the next occurrence runs as usual',
      );
      return 'failed';
    }
  }

  async #runningSince(name: string): Promise<string | undefined> {
    return (await this.#deps.state.get(name))?.runningSince;
  }

  async #runOnce(name: string, schedule: ScheduleConfig, signal: AbortSignal, log: Logger): Promise<void> {
    const startedAt = this.#deps.now().toISOString();
    const prev = (await this.#deps.state.get(name)) ?? { name };
    await this.#deps.state.put({ ...prev, name, runningSince: startedAt });
    log.info({ startedAt }, 'scheduled scan starting');
    let status = 'error';
    let scanId: string | undefined;
    try {
      const r = await this.#deps.run(name, schedule, signal);
      status = r.status;
      scanId = r.scanId;
      log.info({ status, scanId }, 'scheduled scan finished');
    } catch (error) {
      log.error({ err: error instanceof Error ? error.message : String(error) }, 'scheduled scan failed');
    }
    // An interrupted run does not count as run: the next start catches it up.
    const lastRunAt = status === 'interrupted' ? prev.lastRunAt : startedAt;
    const { runningSince: _done, ...rest } = prev;
    await this.#deps.state.put({
      ...rest,
      name,
      ...(lastRunAt ? { lastRunAt } : {}),
      lastStatus: status,
      ...(scanId ? { lastScanId: scanId } : {}),
    });
  }

  /** Stop ticking, abort running scans, and wait until they have recorded their state. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#jobs.values()].map((j) => j.stop()));
    for (const [name, r] of this.#running) {
      this.#deps.logger.info({ schedule: name }, 'stopping: aborting running scan');
      r.abort.abort(new Error('scheduler stopping'));
    }
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
  }
}
