/**
 * `nhi serve`: run the config's schedules until SIGTERM / SIGINT, then abort the running
 * scan (it is marked interrupted and checkpointed), stop, and let the caller close the store.
 */
import { ownerRegistryFromConfig } from '../approval/owners/owner-registry.js';
import { remindExpiringRequests } from '../approval/reminders.js';
import { configRelative } from '../config/load.js';
import type { ScheduleConfig } from '../config/schema.js';
import { type LeaseHolder, processLeaseHolder } from '../runbook/leases.js';
import { ALERT_EVERYTHING } from '../scan/alerts.js';
import { runScanJob, type ScanApp } from '../scan/service.js';
import { holdsLeadership, Leadership } from './leader.js';
import { type ScheduleRunner, Scheduler } from './scheduler.js';

export function scheduleRunner(app: ScanApp): ScheduleRunner {
  return async (name: string, s: ScheduleConfig, signal: AbortSignal) => {
    const { result, reportPath } = await runScanJob(app, {
      providers: s.providers,
      ...(s.report
        ? { report: { format: s.report.format, out: configRelative(app.config, s.report.out) } }
        : {}),
      ...(s.alerts
        ? {
            alerts: {
              targets: s.alerts.notify,
              filter: { types: s.alerts.types, minSeverity: s.alerts.minSeverity },
            },
          }
        : { alerts: { targets: [], filter: ALERT_EVERYTHING } }),
      actor: `schedule:${name}`,
      signal,
    });
    if (reportPath) app.logger.info({ schedule: name, report: reportPath }, 'report written');
    return { status: result.scan.status, scanId: result.scan.id };
  };
}

export const DELIVERY_RETRY_TICK_MS = 60_000;

export interface ServeOptions {
  /** Resolves with the signal name when the process should stop (default: SIGTERM / SIGINT). */
  shutdown?: Promise<string>;
  /** This process as a lease holder (default: host, pid and a random part). */
  self?: LeaseHolder;
  /** Told when this instance becomes leader or stands by (readiness, metrics). */
  onRole?: (role: 'leader' | 'standby') => void;
}

export function processShutdown(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export async function serve(app: ScanApp, opts: ServeOptions = {}): Promise<void> {
  const shutdown = opts.shutdown ?? processShutdown();
  const self = opts.self ?? processLeaseHolder();
  const log = app.logger.child({ component: 'scheduler' });
  const names = Object.keys(app.config.schedules);
  app.logger.info(
    { schedules: names, holder: self.id },
    names.length > 0 ? 'nhi serve started' : 'nhi serve started with no schedules',
  );
  // Any number of instances share one store; only the leader runs the schedules, and every
  // occurrence is claimed under its fencing token, so none is scanned twice (leader.ts).
  let scheduler: Scheduler | undefined;
  let started: Promise<void> = Promise.resolve();
  const newScheduler = (token: number) =>
    new Scheduler({
      schedules: app.config.schedules,
      state: app.store.schedules,
      run: scheduleRunner(app),
      logger: log,
      now: app.now,
      claimTick: (name, tickAt) =>
        app.store.transaction(async (tx) => {
          if (!(await holdsLeadership(tx, self, token, app.now()))) return false;
          const state = (await tx.schedules.get(name)) ?? { name };
          if (state.lastTickAt && Date.parse(state.lastTickAt) >= tickAt.getTime()) return false;
          await tx.schedules.put({ ...state, lastTickAt: tickAt.toISOString() });
          return true;
        }),
    });
  const leadership = new Leadership({
    store: app.store,
    self,
    now: app.now,
    logger: log,
    onElected: async (token) => {
      // Who led when is part of the record: a takeover shows in the audit log with its token.
      await app.store
        .transaction((tx) =>
          app.audit.record(tx.audit, {
            type: 'serve.leader-elected',
            actor: self.id,
            subject: 'serve:leader',
            data: { token, host: self.host, pid: self.pid },
          }),
        )
        .catch((error) => log.warn({ err: String(error) }, 'could not audit the leader election'));
      scheduler = newScheduler(token);
      // Catch-up runs may be long: start them without blocking the lease's heartbeat.
      started = scheduler.start();
      started.catch((error) => log.error({ err: String(error) }, 'scheduler start failed'));
      opts.onRole?.('leader');
    },
    onDeposed: async () => {
      const s = scheduler;
      scheduler = undefined;
      opts.onRole?.('standby');
      await s?.stop();
      await started.catch(() => undefined);
    },
  });
  opts.onRole?.('standby');
  // Failed alert deliveries are due between schedule runs too (a nightly schedule would
  // otherwise leave one waiting a day): retry the due ones every minute. Requests close to
  // expiring without their quorum are reminded on the same tick. Only the leader does this.
  const registry = ownerRegistryFromConfig(app.config);
  const retrying = setInterval(() => {
    if (leadership.role !== 'leader') return;
    app.notifier
      .retryFailed()
      .catch((error) => app.logger.warn({ err: String(error) }, 'retrying failed deliveries failed'));
    remindExpiringRequests({ ...app, registry }, app.now())
      .then((ids) => {
        if (ids.length) app.logger.info({ requests: ids }, 'reminded owners of requests about to expire');
      })
      .catch((error) => app.logger.warn({ err: String(error) }, 'reminding owners failed'));
  }, DELIVERY_RETRY_TICK_MS);
  retrying.unref();
  await leadership.start();
  const signal = await shutdown;
  app.logger.info({ signal, running: scheduler?.running() ?? [] }, 'shutting down');
  clearInterval(retrying);
  await leadership.stop();
  app.logger.info('nhi serve stopped');
}
