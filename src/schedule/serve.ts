/**
 * `nhi serve`: run the config's schedules until SIGTERM / SIGINT, then abort the running
 * scan (it is marked interrupted and checkpointed), stop, and let the caller close the store.
 */
import { ownerRegistryFromConfig } from '../approval/owners/owner-registry.js';
import { remindExpiringRequests } from '../approval/reminders.js';
import { configRelative } from '../config/load.js';
import type { ScheduleConfig } from '../config/schema.js';
import { ALERT_EVERYTHING } from '../scan/alerts.js';
import { runScanJob, type ScanApp } from '../scan/service.js';
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
  const scheduler = new Scheduler({
    schedules: app.config.schedules,
    state: app.store.schedules,
    run: scheduleRunner(app),
    logger: app.logger.child({ component: 'scheduler' }),
    now: app.now,
  });
  const names = Object.keys(app.config.schedules);
  app.logger.info(
    { schedules: names },
    names.length > 0 ? 'nhi serve started' : 'nhi serve started with no schedules',
  );
  // Failed alert deliveries are due between schedule runs too (a nightly schedule would
  // otherwise leave one waiting a day): retry the due ones every minute. Requests close to
  // expiring without their quorum are reminded on the same tick.
  const registry = ownerRegistryFromConfig(app.config);
  const retrying = setInterval(() => {
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
  // Catch-up runs may be long: start them without blocking the wait for a signal.
  const started = scheduler.start();
  started.catch((error) => app.logger.error({ err: String(error) }, 'scheduler start failed'));
  const signal = await Promise.race([shutdown, started.then(() => shutdown)]);
  app.logger.info({ signal, running: scheduler.running() }, 'shutting down');
  clearInterval(retrying);
  await scheduler.stop();
  await started.catch(() => undefined);
  app.logger.info('nhi serve stopped');
}
