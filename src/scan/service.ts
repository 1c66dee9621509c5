/**
 * One scan job as `nhi scan` and each `nhi serve` schedule run it: scan, write the report,
 * send alerts, record the audit entry and sign a checkpoint.
 */
import type { App } from '../app.js';
import type { Severity } from '../config/schema.js';
import { UsageError } from '../lib/errors.js';
import { checkOutputWritable, writeOutputFile } from '../lib/output-file.js';
import { hasOwnKey } from '../lib/own.js';
import type { NotifyOutcome } from '../notify/notifier.js';
import { type AlertFilter, sendScanAlerts } from './alerts.js';
import {
  buildReport,
  type ReportFormat,
  type ReportSink,
  renderReport,
  reportContextOf,
} from './report/index.js';
import { runScan, type ScanResult } from './run.js';
import { atLeast } from './severity.js';

export type ScanApp = Pick<
  App,
  'config' | 'store' | 'audit' | 'notifier' | 'logger' | 'now' | 'provider' | 'providerNames'
>;

export interface ScanJob {
  /** Provider instances to walk; empty = all configured. */
  providers: readonly string[];
  /** Report: to a file (`{date}` = scan date) or to `write` (stdout). */
  report?: { format: ReportFormat; out?: string; write?: ReportSink };
  alerts?: { targets: readonly string[]; filter: AlertFilter };
  actor: string;
  signal?: AbortSignal;
  onProgress?: (instance: string, seen: number) => void;
}

export interface ScanJobResult {
  result: ScanResult;
  open: { open: number; bySeverity: Record<string, number>; byType: Record<string, number> };
  reportPath?: string;
  alertOutcomes: NotifyOutcome[];
  /** Earlier failed deliveries retried at this scan's end. */
  retryOutcomes: NotifyOutcome[];
}

export function reportPathFor(template: string, scanStartedAt: string): string {
  return template.replaceAll('{date}', scanStartedAt.slice(0, 10));
}

export function hasOpenAtLeast(bySeverity: Record<string, number>, min: Severity): boolean {
  return Object.entries(bySeverity).some(([s, n]) => n > 0 && atLeast(s, min));
}

export async function runScanJob(app: ScanApp, job: ScanJob): Promise<ScanJobResult> {
  const names = job.providers.length > 0 ? [...job.providers] : app.providerNames();
  for (const n of names) {
    if (!hasOwnKey(app.config.providers, n))
      throw new UsageError(`unknown provider instance "${n}" (have: ${app.providerNames().join(', ')})`);
  }
  // Refuse a device, FIFO or symlink target, or a place nothing can be written, before scanning,
  // not after it (checked again when written).
  if (job.report?.out)
    await checkOutputWritable(reportPathFor(job.report.out, app.now().toISOString()), { makeDir: true });
  const providers = await Promise.all(names.map((n) => app.provider(n)));
  const result = await runScan(
    { store: app.store, providers, config: app.config, logger: app.logger, now: app.now },
    {
      ...(job.signal ? { signal: job.signal } : {}),
      ...(job.onProgress ? { onProgress: job.onProgress } : {}),
    },
  );
  const report = await buildReport(
    result,
    app.store.findings,
    app.config.scan,
    app.now().toISOString(),
    reportContextOf(app),
  );
  const out: ScanJobResult = {
    result,
    open: report.header.summary.findings,
    alertOutcomes: [],
    retryOutcomes: [],
  };

  if (job.report?.out) {
    const path = reportPathFor(job.report.out, result.scan.startedAt);
    const format = job.report.format;
    // Buffered, temp file then rename: readers never see half a report.
    await writeOutputFile(path, (write) => renderReport(format, report, write), { makeDir: true });
    out.reportPath = path;
  } else if (job.report?.write) {
    await renderReport(job.report.format, report, job.report.write);
  }

  // Sent even for an interrupted scan: its findings are stored, and dedup would otherwise
  // never alert on them (docs/adr/053-scan-alerts.md).
  if (job.alerts && job.alerts.targets.length > 0) {
    out.alertOutcomes = await sendScanAlerts(
      app.notifier,
      job.alerts.targets,
      result.alerts,
      job.alerts.filter,
      result.scan.id,
    );
  }

  // Every scan end (and so every nhi serve schedule run) retries the earlier failed deliveries
  // that are due; a failure here must not fail the scan (docs/adr/053-scan-alerts.md).
  out.retryOutcomes = await app.notifier.retryFailed().catch((error) => {
    app.logger.warn({ err: String(error) }, 'retrying failed deliveries failed');
    return [];
  });

  const failedAlerts = out.alertOutcomes.filter((o) => o.status !== 'delivered').length;
  await app.store.transaction(async (tx) => {
    await app.audit.record(tx.audit, {
      type: `scan.${result.scan.status}`,
      actor: job.actor,
      subject: result.scan.id,
      data: {
        status: result.scan.status,
        providers: result.scan.providers,
        identities: result.counters.identities,
        opened: result.counters.findingsOpened,
        changed: result.counters.findingsChanged,
        resolved: result.counters.findingsResolved,
        open: out.open.open,
        openBySeverity: out.open.bySeverity,
        alertsSent: out.alertOutcomes.length - failedAlerts,
        alertsFailed: failedAlerts,
        ...(out.retryOutcomes.length > 0
          ? {
              retried: out.retryOutcomes.length,
              retriedDelivered: out.retryOutcomes.filter((o) => o.status === 'delivered').length,
            }
          : {}),
        providerErrors: result.errors.map((e) => e.provider),
        ...(out.reportPath ? { report: out.reportPath } : {}),
      },
    });
    // The scan.<status> entry is a mandatory checkpoint point: AuditLog.record signs it in this
    // transaction (src/audit/checkpoint-rules.ts).
  });
  return out;
}
