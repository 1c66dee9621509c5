import type { Command } from 'commander';
import { FINDING_TYPES, SEVERITIES, type Severity } from '../../config/schema.js';
import { UsageError } from '../../lib/errors.js';
import { unknownValueMessage } from '../../lib/suggest.js';
import { renderTable } from '../../lib/text.js';
import { deliveryState } from '../../notify/notifier.js';
import { ALERT_EVERYTHING, findingTargets } from '../../scan/alerts.js';
import { failOnLines, failOnSummary } from '../../scan/fail-on.js';
import { REPORT_FORMATS, type ReportFormat } from '../../scan/report/index.js';
import { hasOpenAtLeast, runScanJob } from '../../scan/service.js';
import { isFindingType } from '../../scan/severity.js';
import { serve } from '../../schedule/serve.js';
import { type CliIo, contextFor } from '../context.js';
import { EXIT } from '../exit.js';
import { versionedOpening } from '../json-output.js';
import { ackNote, registerFindingAck } from './findings-ack.js';

interface ScanOpts {
  provider?: string[];
  format: string;
  out?: string;
  failOn?: string;
  alert: boolean;
}

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/**
 * The terminal's progress line: the provider being read, how many identities so far (of about
 * how many the last full scan saw, when known), the rate and the time spent.
 */
export function scanProgress(lastTotal: number | undefined, started = Date.now()) {
  const seen = new Map<string, number>();
  return (instance: string, count: number): string => {
    seen.set(instance, count);
    const all = [...seen.values()].reduce((a, b) => a + b, 0);
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(all / seconds) : 0;
    const of = lastTotal ? ` of ~${lastTotal}` : '';
    return `scanning ${instance}: ${all}${of} identities — ${rate}/s, ${seconds.toFixed(0)} s`;
  };
}

export function registerScanCommands(program: Command, io: CliIo): void {
  program
    .command('scan')
    .description(
      'walk every provider, store snapshots, compute findings (dormant, reenabled, orphaned, long-lived, ...)',
    )
    .option('-p, --provider <name...>', 'only these provider instances')
    .option(
      '--format <format>',
      `${REPORT_FORMATS.join(' | ')} (sarif: GitHub code scanning; ocsf: one finding per line)`,
      'table',
    )
    .option('--out <file>', 'write the report to a file instead of stdout ("{date}" = scan date)')
    .option('--fail-on <severity>', 'exit 4 when a finding at or above this severity is open')
    .option('--no-alert', 'do not send alerts to notify targets that subscribe to "finding" events')
    .addHelpText(
      'after',
      '\nAlerts: a plain scan notifies the targets whose "events" list "finding" (or finding.*), only on findings\n' +
        'that are new or changed severity.\n\nExamples:\n  nhi scan\n  nhi scan --format html --out report.html --fail-on high',
    )
    .action(async (opts: ScanOpts, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      const format = (ctx.globals.json && opts.format === 'table' ? 'json' : opts.format) as ReportFormat;
      if (!REPORT_FORMATS.includes(format))
        throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(', ')}, got "${opts.format}"`);
      if (opts.failOn && !(SEVERITIES as readonly string[]).includes(opts.failOn)) {
        throw new UsageError(unknownValueMessage('--fail-on: unknown severity', opts.failOn, SEVERITIES));
      }
      await ctx.withApp(async (app) => {
        const progress = scanProgress(
          opts.provider?.length ? undefined : (await app.store.scans.lastScan())?.identities,
        );
        const abort = new AbortController();
        const onSignal = () => abort.abort(new Error('interrupted by signal'));
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        // The report is rendered inside the job: its first chunk clears the progress line, or
        // the report's first line would be printed onto it on a terminal.
        let reportStarted = false;
        const writeReport = (chunk: string) => {
          if (!reportStarted) ctx.progress('');
          reportStarted = true;
          io.stdout.write(chunk);
        };
        try {
          const job = await runScanJob(app, {
            providers: opts.provider ?? [],
            report: opts.out ? { format, out: opts.out } : { format, write: writeReport },
            alerts: opts.alert
              ? { targets: findingTargets(app.config.notify), filter: ALERT_EVERYTHING }
              : { targets: [], filter: ALERT_EVERYTHING },
            actor: 'cli:scan',
            signal: abort.signal,
            onProgress: (instance, seen) => ctx.progress(progress(instance, seen)),
          });
          ctx.progress('');
          const r = job.result;
          if (opts.out) {
            io.stderr.write(
              `${r.scan.status}: ${r.counters.identities} identities, ${job.open.open} open findings; report written to ${job.reportPath}\n`,
            );
          }
          const failedAlerts = job.alertOutcomes.filter((o) => o.status === 'failed').length;
          if (failedAlerts > 0)
            io.stderr.write(`warning: ${failedAlerts} alert delivery(ies) failed; see "nhi findings"\n`);
          if (r.scan.status !== 'completed') rootOf(cmd).setOptionValue('exitCode', EXIT.failure);
          else if (opts.failOn && hasOpenAtLeast(job.open.bySeverity, opts.failOn as Severity)) {
            rootOf(cmd).setOptionValue('exitCode', EXIT.findings);
            const why = await failOnSummary(app.store.findings, r.scan.providers, opts.failOn as Severity);
            for (const line of failOnLines(why)) io.stderr.write(`${line}\n`);
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      });
    });

  const findings = program
    .command('findings')
    .description('list findings with first seen / last seen / resolved, and failed alert deliveries')
    .option('--type <type>', 'only this finding type')
    .option('--open', 'only open findings')
    .addHelpText('after', '\nExample:\n  nhi findings --type dormant --open --json')
    .action(async (opts: { type?: string; open?: boolean }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      if (opts.type && !isFindingType(opts.type))
        throw new UsageError(unknownValueMessage('--type: unknown finding type', opts.type, FINDING_TYPES));
      await ctx.withApp(async (app) => {
        const filter = {
          ...(opts.type ? { type: opts.type } : {}),
          ...(opts.open ? { status: 'open' as const } : {}),
        };
        const failed = [
          ...(await app.store.deliveries.list({ status: 'failed' })),
          ...(await app.store.deliveries.list({ status: 'expired' })),
        ];
        if (ctx.globals.json) {
          io.stdout.write(`${versionedOpening('findings')}"findings":[`);
          let n = 0;
          for await (const f of app.store.findings.iterate(filter))
            io.stdout.write(`${n++ === 0 ? '' : ','}\n${JSON.stringify(f)}`);
          const deliveries = failed.map(({ body: _body, ...d }) => ({ ...d, state: deliveryState(d) }));
          io.stdout.write(`\n],"failedDeliveries":${JSON.stringify(deliveries)}}\n`);
          return;
        }
        const rows: string[][] = [];
        for await (const f of app.store.findings.iterate(filter)) {
          rows.push([
            f.severity,
            f.type,
            f.ref,
            f.status,
            f.firstSeen.slice(0, 19),
            f.lastSeen.slice(0, 19),
            f.resolvedAt?.slice(0, 19) ?? '-',
            f.summary,
          ]);
        }
        const rank = (s: string) => SEVERITIES.indexOf(s as Severity);
        rows.sort((a, b) => rank(b[0] ?? '') - rank(a[0] ?? '') || (a[2] ?? '').localeCompare(b[2] ?? ''));
        ctx.printTable(
          renderTable(
            ['SEVERITY', 'TYPE', 'REF', 'STATUS', 'FIRST SEEN', 'LAST SEEN', 'RESOLVED', 'SUMMARY'],
            rows,
          ),
        );
        ctx.print(`${rows.length} finding(s)`);
        // Incident findings closed (or re-opened) by a person: who, when, why (src/scan/ack.ts).
        for await (const f of app.store.findings.iterate(filter)) {
          const note = ackNote(f);
          if (note) ctx.print(`  ${f.id} [${f.type}] ${f.ref}: ${note}`);
        }
        if (failed.length > 0) {
          ctx.print(`\nFailed alert deliveries (${failed.length}):`);
          ctx.printTable(
            renderTable(
              ['DELIVERY', 'TARGET', 'EVENT', 'SUBJECT', 'STATE', 'LAST ERROR', 'UPDATED'],
              failed.map((d) => [
                d.id,
                d.target,
                d.event,
                d.subject,
                deliveryState(d),
                d.lastError ?? '-',
                d.updatedAt,
              ]),
            ),
          );
        }
      });
    });

  registerFindingAck(findings, io);

  program
    .command('serve')
    .description(
      'run the configured cron schedules (one leader among instances on one store; single-flight, catch-up on start), the approval page with `http`, /healthz /readyz /metrics with `ops`; SIGTERM stops cleanly',
    )
    .addHelpText(
      'after',
      '\nLogs are JSON lines on stderr (or log.file).\n\nExample:\n  nhi serve --config /etc/nhi/nhi.config.json',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      await ctx.withApp(
        async (app) => {
          // The approval page (when `http` is configured) lives as long as the schedules do.
          const page = app.approvalPage ? await app.approvalPage() : undefined;
          const ops = app.opsEndpoints ? await app.opsEndpoints() : undefined;
          try {
            await serve(app, ops ? { onRole: (role) => ops.setRole(role) } : {});
          } finally {
            await ops?.close();
            await page?.close();
          }
        },
        { defaultLogLevel: 'info' },
      );
      // The store is closed and the scan checkpointed. A provider call still in flight on a
      // socket (aborted scans do not wait for it) must not keep the process alive.
      setTimeout(() => process.exit(process.exitCode ?? 0), 3_000).unref();
    });
}
