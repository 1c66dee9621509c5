/** `nhi incident run|resume|status`: executing an incident and reporting on it. */
import type { Command } from 'commander';
import { ownerRegistryFromConfig } from '../../approval/owners/owner-registry.js';
import { DEFAULT_INCIDENT_CONCURRENCY, type IncidentProgress, runIncident } from '../../incident/execute.js';
import { parseIncidentFormat, renderIncidentStatus, stateSummary } from '../../incident/report/render.js';
import { incidentStatus } from '../../incident/status.js';
import { UsageError } from '../../lib/errors.js';
import { checkOutputWritable, writeOutputFile } from '../../lib/output-file.js';
import { renderTable } from '../../lib/text.js';
import { type CliIo, contextFor } from '../context.js';
import { readPrivateKey } from '../key-file.js';

/** "done 12/30, failed 0, waiting 3, running 8 — 4.1/s, 3 s, ETA 4 s": the terminal's progress line. */
export function progressLine(p: IncidentProgress): string {
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? p.done / seconds : 0;
  const left = p.total - p.done - p.failed - p.waiting;
  const eta = rate > 0 && left > 0 ? `, ETA ${Math.ceil(left / rate)} s` : '';
  return `done ${p.done}/${p.total}, failed ${p.failed}, waiting ${p.waiting}, running ${p.inFlight} — ${rate.toFixed(1)}/s, ${seconds.toFixed(0)} s${eta}`;
}

export function registerIncidentRunCommands(incident: Command, io: CliIo): void {
  for (const mode of ['run', 'resume'] as const) {
    incident
      .command(mode)
      .description(
        mode === 'run'
          ? "execute every approved target concurrently, paced by each provider instance's write budget"
          : 'after a crash or Ctrl-C: continue every interrupted target exactly once, and start the approved ones',
      )
      .argument('<incident-id>', 'incident id')
      .requiredOption('--as <principal>', 'who executes')
      .option('--key <file>', 'your private key: signs each run so --as is proven')
      .option(
        '--break-glass',
        'run targets without owner approval (break-glass group only); each is audited, alerted and reviewed after',
      )
      .option('--reason <text>', 'mandatory with --break-glass')
      .option(
        '--concurrency <n>',
        `targets in flight at once (default ${DEFAULT_INCIDENT_CONCURRENCY}); the providers' write limiters set the pace`,
      )
      .addHelpText(
        'after',
        `\nExit 1 when any target failed or needs attention; waiting targets run on a later nhi incident ${mode}.\n\nExample:\n  nhi incident ${mode} inc_... --as dave --key ~/.nhi/dave.key`,
      )
      .action(
        async (
          id: string,
          opts: { as: string; key?: string; breakGlass?: boolean; reason?: string; concurrency?: string },
          cmd: Command,
        ) => {
          const ctx = contextFor(cmd, io);
          if (opts.reason !== undefined && !opts.breakGlass)
            throw new UsageError('--reason is only used with --break-glass');
          const concurrency = opts.concurrency === undefined ? undefined : Number(opts.concurrency);
          if (
            concurrency !== undefined &&
            !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 256)
          )
            throw new UsageError(
              `--concurrency must be a whole number from 1 to 256 (got ${opts.concurrency})`,
            );
          const actor = opts.key ? { privateKey: readPrivateKey(opts.key) } : undefined;
          await ctx.withApp(async (app) => {
            process.once('SIGINT', () => {
              io.stderr.write(
                `\ninterrupted: every target's steps are committed as they run; continue with nhi incident resume ${id} --as ${opts.as}\n`,
              );
              process.exit(130);
            });
            const results = await runIncident(app.engine(), {
              incidentId: id,
              executor: opts.as,
              resume: mode === 'resume',
              ...(actor ? { actor } : {}),
              ...(opts.breakGlass
                ? { breakGlass: opts.reason === undefined ? {} : { reason: opts.reason } }
                : {}),
              ...(concurrency ? { concurrency } : {}),
              onProgress: (p) => ctx.progress(progressLine(p)),
            });
            ctx.progress('');
            const bad = results.filter((r) =>
              ['failed', 'needs-attention', 'refused', 'interrupted'].includes(r.outcome),
            );
            if (bad.length) cmd.parent?.parent?.setOptionValue('exitCode', 1);
            if (ctx.globals.json) return ctx.printJson('incident-run', { incidentId: id, results });
            const count = (o: string) => results.filter((r) => r.outcome === o).length;
            ctx.print(
              `incident ${id}: ${count('completed')} recovered now, ${count('already-completed')} earlier, ${count('waiting')} waiting, ${bad.length} need attention, ${count('excluded')} excluded`,
            );
            for (const r of results.filter((x) => x.outcome === 'waiting').slice(0, 10))
              ctx.print(`  waiting: ${r.ref} — ${r.detail}`);
            for (const r of bad) ctx.print(`  ${r.outcome}: ${r.ref} — ${r.detail}`);
            ctx.print(`  report: nhi incident status ${id}`);
          });
        },
      );
  }

  incident
    .command('status')
    .description(
      'every target of an incident: state, approvers, before/after versions, lineage, what needs attention (no id: every incident)',
    )
    .argument('[incident-id]', 'incident id (omit to list the incidents)')
    .option('--format <format>', 'table | json | markdown | html', 'table')
    .option('--out <file>', 'write the report to a file')
    .addHelpText(
      'after',
      '\nExamples:\n  nhi incident status\n  nhi incident status inc_... --format markdown --out incident.md',
    )
    .action(async (id: string | undefined, opts: { format: string; out?: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      const format = ctx.globals.json ? 'json' : parseIncidentFormat(opts.format);
      if (opts.out) await checkOutputWritable(opts.out);
      await ctx.withApp(async (app) => {
        const deps = {
          store: app.store,
          config: app.config,
          registry: ownerRegistryFromConfig(app.config),
          now: app.now,
        };
        if (id === undefined) {
          if (opts.out || (format !== 'table' && format !== 'json'))
            throw new UsageError(
              'name an incident for a report (--out, markdown, html); the list is table or json',
            );
          const all = [];
          for (const row of await app.store.incidents.list()) all.push(await incidentStatus(deps, row.id));
          if (format === 'json') return ctx.printJson('incident-list', { incidents: all });
          if (all.length === 0) return ctx.print('no incidents (file one with nhi incident request)');
          return ctx.printTable(
            renderTable(
              ['INCIDENT', 'CREATED', 'REQUESTER', 'TARGETS', 'STATES', 'REASON'],
              all.map((s) => [
                s.id,
                s.createdAt.slice(0, 16),
                s.requester,
                String(s.targets.length),
                stateSummary(s),
                s.reason,
              ]),
            ),
          );
        }
        const text = renderIncidentStatus(await incidentStatus(deps, id), format);
        if (opts.out) {
          await writeOutputFile(opts.out, async (write) => write(text));
          ctx.print(`wrote ${opts.out}`);
        } else io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      });
    });
}
