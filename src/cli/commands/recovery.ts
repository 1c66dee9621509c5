import type { Command } from 'commander';
import { UsageError } from '../../lib/errors.js';
import { decisionCommand } from '../../plan-view/commands.js';
import { configFacts } from '../../plan-view/config-facts.js';
import { buildPlanView } from '../../plan-view/model.js';
import { parsePlanFormat, renderPlan } from '../../plan-view/render.js';
import { lineageMermaid, lineageTable } from '../../runbook/lineage-format.js';
import { planTarget } from '../../runbook/planning.js';
import { createRequest } from '../../runbook/requests.js';
import { resumeRun, startRun } from '../../runbook/runs.js';
import type { RunRecord } from '../../store/types.js';
import { type CliContext, type CliIo, contextFor } from '../context.js';
import { readPrivateKey } from '../key-file.js';
import { printStatus } from './status.js';

/**
 * Ctrl-C during a run: the executor's checkpoints make stopping anywhere safe, so say how
 * to continue instead of leaving the user guessing.
 */
function onInterrupt(io: CliIo, hint: string): void {
  process.once('SIGINT', () => {
    io.stderr.write(`\ninterrupted: ${hint}\n`);
    process.exit(130);
  });
}

interface RunOptions {
  as: string;
  key?: string;
  breakGlass?: boolean;
  reason?: string;
}

const KEY_HELP =
  'your private key file (from nhi keygen; mode 0600): signs this action so --as is proven; ' +
  'required when policy.requireSignedActors is set';

/** `--key`, read and checked before anything is opened (a bad key file is a usage error, exit 2). */
function actorKey(file: string | undefined) {
  return file === undefined ? {} : { actor: { privateKey: readPrivateKey(file) } };
}

function reportRun(ctx: CliContext, run: RunRecord): void {
  if (ctx.globals.json) {
    ctx.printJson('run', run);
    return;
  }
  const issued = run.facts.issued;
  ctx.print(`run ${run.id}: ${run.status}${issued ? ` — new version ${issued.versionId}` : ''}`);
  if (run.error) ctx.print(`  ${run.error}`);
  if (run.status !== 'completed')
    ctx.print(`  inspect: nhi status ${run.id}    continue: nhi resume ${run.id}`);
}

export function registerRecoveryCommands(program: Command, io: CliIo): void {
  program
    .command('plan')
    .description(
      'dry run: resolve a ref and a runbook against the live provider into a plan and its digest; changes nothing',
    )
    .argument('<ref>', 'identity ref <provider-instance>:<kind>:<locator>')
    .requiredOption('--runbook <id>', 'runbook id (see runbooks/)')
    .option(
      '--format <format>',
      'text | markdown | html | json (the readable plan; json is its view model). --json instead prints the signed plan itself: {schemaVersion, digest, plan}',
      'text',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  nhi plan aws-prod:secret:payments/db --runbook aws-secret-recovery\n  nhi plan aws-prod:secret:payments/db --runbook aws-secret-recovery --format markdown',
    )
    .action(async (ref: string, opts: { runbook: string; format: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      const format = parsePlanFormat(opts.format);
      if (ctx.globals.json && cmd.getOptionValueSource('format') === 'cli')
        throw new UsageError('--json prints the signed plan, --format the readable one: use one of them');
      await ctx.withApp(async (app) => {
        const { plan, digest, snapshot } = await planTarget(app.engine(), ref, opts.runbook);
        if (ctx.globals.json) return ctx.printJson('plan', { digest, plan });
        const view = buildPlanView({ plan, versions: snapshot.versions, ...configFacts(app.config, plan) });
        if (format === 'json') return ctx.printJson('plan-view', view);
        ctx.print(renderPlan(view, format));
      });
    });
  program
    .command('request')
    .description('file a recovery request: stores the plan and its digest and notifies the owners')
    .argument('<ref>', 'identity ref')
    // Checked in the action, not as required options: commander would demand them of
    // `nhi request export` too.
    .option('--runbook <id>', 'runbook id (required)')
    .option('--reason <text>', 'why: incident id, what leaked (required)')
    .option('--as <principal>', 'who is asking (required)')
    .option('--key <file>', KEY_HELP)
    .addHelpText(
      'after',
      '\nExample:\n  nhi request aws-prod:secret:payments/db --runbook aws-secret-recovery --reason "INC-42 leaked in CI log" --as carol --key ~/.nhi/carol.key',
    )
    .action(
      async (
        ref: string,
        opts: { runbook?: string; reason?: string; as?: string; key?: string },
        cmd: Command,
      ) => {
        const ctx = contextFor(cmd, io);
        const missing = (['runbook', 'reason', 'as'] as const).filter((o) => !opts[o]);
        if (missing.length) {
          throw new UsageError(
            `nhi request needs ${missing.map((o) => `--${o}`).join(', ')} (see nhi request --help)`,
          );
        }
        const { runbook, reason, as } = opts as { runbook: string; reason: string; as: string };
        const actor = actorKey(opts.key);
        await ctx.withApp(async (app) => {
          const req = await createRequest(app.engine(), {
            ref,
            runbookId: runbook,
            reason,
            requester: as,
            ...actor,
          });
          if (ctx.globals.json) return ctx.printJson('request', req);
          ctx.print(`request ${req.id} filed (${req.tier}); plan digest ${req.planDigest}`);
          ctx.print(
            `  requested by ${req.requester}${req.requesterProof ? ' (signed)' : ' (unsigned: --as only)'}`,
          );
          ctx.print(
            `  owners to approve: ${req.owners.join(', ') || '(none registered: only break-glass can run it)'}; expires ${req.expiresAt}`,
          );
          ctx.print(`  review the plan: nhi status ${req.id}`);
          // --digest binds the decision to the plan the owner reviewed: refused if it changed since.
          for (const owner of req.owners)
            ctx.print(`  ${decisionCommand(req.id, req.planDigest, owner, 'approve')}`);
          for (const owner of req.owners)
            ctx.print(`  (to refuse: ${decisionCommand(req.id, req.planDigest, owner, 'deny')})`);
        });
      },
    );
  program
    .command('run')
    .description('execute an approved request (revoke, reissue, verify, record lineage)')
    .argument('<request-id>', 'request id')
    .requiredOption('--as <principal>', 'who executes')
    .option('--key <file>', KEY_HELP)
    .option('--break-glass', 'skip approval and hold (break-glass group only); audited and alerted')
    .option('--reason <text>', 'mandatory with --break-glass')
    .addHelpText(
      'after',
      '\nExamples:\n  nhi run req_01H... --as dave --key ~/.nhi/dave.key\n  nhi run req_01H... --as sec-oncall --key ~/.nhi/sec-oncall.key --break-glass --reason "active exfiltration"',
    )
    .action(async (id: string, opts: RunOptions, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      if (opts.reason !== undefined && !opts.breakGlass)
        throw new UsageError('--reason is only used with --break-glass');
      const actor = actorKey(opts.key);
      await ctx.withApp(async (app) => {
        onInterrupt(
          io,
          `every step is committed before and after it runs; see nhi status ${id}, then nhi resume <run-id>`,
        );
        const run = await startRun(app.engine(), {
          requestId: id,
          executor: opts.as,
          ...actor,
          ...(opts.breakGlass
            ? { breakGlass: opts.reason === undefined ? {} : { reason: opts.reason } }
            : {}),
        });
        reportRun(ctx, run);
        if (run.status !== 'completed') cmd.parent?.setOptionValue('exitCode', 1);
      });
    });
  program
    .command('resume')
    .description(
      'continue an interrupted run from its last committed step (asks the provider what already happened)',
    )
    .argument('<run-id>', 'run id')
    .option('--as <principal>', 'who resumes (recorded in the audit log)', 'unknown')
    .option('--key <file>', KEY_HELP)
    .addHelpText('after', '\nExample:\n  nhi resume run_01H... --as dave --key ~/.nhi/dave.key')
    .action(async (id: string, opts: { as: string; key?: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      const { actor } = actorKey(opts.key);
      await ctx.withApp(async (app) => {
        onInterrupt(io, `progress is committed step by step; run nhi resume ${id} again to continue`);
        const run = await resumeRun(app.engine(), id, opts.as, actor);
        reportRun(ctx, run);
        if (run.status !== 'completed') cmd.parent?.setOptionValue('exitCode', 1);
      });
    });
  program
    .command('status')
    .description(
      'show requests and runs (all, or one by id), approvals, holds, break-glass reviews, failed deliveries',
    )
    .argument('[id]', 'request or run id')
    .addHelpText('after', '\nExamples:\n  nhi status\n  nhi status req_01H...')
    .action(async (id: string | undefined, _opts, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      await ctx.withApp((app) => printStatus(ctx, app, id));
    });
  program
    .command('lineage')
    .description(
      'every recovery of one identity: old -> new credential, who asked, approved, executed, with what proof',
    )
    .argument('<ref>', 'identity ref')
    .option('--format <format>', 'table | json | mermaid', 'table')
    .addHelpText('after', '\nExample:\n  nhi lineage aws-prod:secret:payments/db --format mermaid')
    .action(async (ref: string, opts: { format: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      if (!['table', 'json', 'mermaid'].includes(opts.format))
        throw new UsageError(`--format must be table, json or mermaid (got ${opts.format})`);
      await ctx.withApp(async (app) => {
        const records = await app.store.lineage.forRef(ref);
        if (ctx.globals.json || opts.format === 'json') return ctx.printJson('lineage', { lineage: records });
        if (opts.format === 'mermaid') return ctx.print(lineageMermaid(ref, records));
        if (records.length === 0) ctx.print(`no recoveries recorded for ${ref}`);
        else ctx.printTable(lineageTable(records));
      });
    });
}
