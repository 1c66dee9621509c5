import type { Command } from 'commander';
import type { App } from '../../app.js';
import { incidentDecisionCommand } from '../../incident/commands.js';
import { excludeTarget } from '../../incident/exclude.js';
import { fileIncident } from '../../incident/file.js';
import { ownerShares } from '../../incident/notify.js';
import { type IncidentSelection, planIncident } from '../../incident/plan.js';
import { parseSelectors } from '../../incident/select.js';
import { UsageError } from '../../lib/errors.js';
import { SecretValue } from '../../lib/secret.js';
import { renderTable } from '../../lib/text.js';
import type { IncidentPlanDocument } from '../../store/incident-types.js';
import { type CliContext, type CliIo, contextFor } from '../context.js';
import { readPrivateKey } from '../key-file.js';
import { registerIncidentDecisionCommands } from './incident-decision.js';
import { registerIncidentRunCommands } from './incident-run.js';

interface SelectOptions {
  select?: string[];
  valueStdin?: boolean;
  runbook?: string[];
}

const SELECT_HELP =
  'blast radius: comma-separated terms that must all match (tag:K=V, ref:GLOB, provider:NAME, type:T, kind:K, owner:P, team:T, tier:T, used-after:DATE, refs-file:PATH); repeat for a union';

function selectOptions(cmd: Command): Command {
  return cmd
    .option('--select <expr...>', SELECT_HELP)
    .option(
      '--value-stdin',
      'also select every identity that holds the leaked value read from stdin (fingerprinted in memory; never stored or printed)',
    )
    .option(
      '--runbook <id...>',
      'the runbook for a kind (default: the one revoke-then-reissue runbook of each kind)',
    );
}

/** Read stdin to its end as the leaked value; one trailing newline (from echo / a file) is not part of it. */
async function readLeakedValue(io: CliIo): Promise<SecretValue> {
  const stdin = io.stdin;
  if (!stdin || stdin.isTTY)
    throw new UsageError('--value-stdin reads the leaked value from stdin: pipe it in (e.g. < leaked.txt)');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin as AsyncIterable<Buffer | string>)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!text) throw new UsageError('--value-stdin: stdin was empty');
  return new SecretValue(text);
}

async function selection(app: App, io: CliIo, opts: SelectOptions): Promise<IncidentSelection> {
  if (!opts.select?.length && !opts.valueStdin)
    throw new UsageError('say what the breach touched: --select EXPR (repeatable) and/or --value-stdin');
  const selectors = parseSelectors(opts.select ?? [], { config: app.config, baseDir: process.cwd() });
  const value = opts.valueStdin ? await readLeakedValue(io) : undefined;
  return {
    selectors,
    runbooks: opts.runbook ?? [],
    ...(value ? { valueFingerprint: app.engine().fingerprint(value) } : {}),
  };
}

function printDocument(ctx: CliContext, doc: IncidentPlanDocument, digest: string): void {
  if (doc.targets.length === 0) ctx.print('no recoverable target selected');
  else
    ctx.printTable(
      renderTable(
        ['REF', 'RUNBOOK', 'TIER', 'OWNERS', 'PLAN DIGEST'],
        doc.targets.map((t) => [
          t.ref,
          t.runbookId,
          t.tier,
          t.owners.join(',') || '(none: break-glass only)',
          t.planDigest,
        ]),
      ),
    );
  if (doc.unrecoverable.length) {
    ctx.print(`\ncannot recover ${doc.unrecoverable.length}:`);
    ctx.printTable(
      renderTable(
        ['REF', 'WHY'],
        doc.unrecoverable.map((u) => [u.ref, u.reason]),
      ),
    );
  }
  const privileged = doc.targets.filter((t) => t.tier === 'privileged').length;
  ctx.print(
    `\n${doc.targets.length} target(s) (${privileged} privileged), ${doc.unrecoverable.length} not recoverable; incident digest ${digest}`,
  );
}

export function registerIncidentCommands(program: Command, io: CliIo): void {
  const incident = program
    .command('incident')
    .description(
      'recover every credential a breach touched: plan the blast radius, owners approve their share, run at the write quota',
    );

  selectOptions(
    incident
      .command('plan')
      .description(
        'dry run: resolve the selection into one plan per target and one incident digest; changes nothing',
      ),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  nhi incident plan --select tag:ci-system=jenkins\n  nhi incident plan --select "kind:secret,owner:alice" --select refs-file:leaked.txt\n  nhi incident plan --value-stdin < leaked-value.txt',
    )
    .action(async (opts: SelectOptions, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      await ctx.withApp(async (app) => {
        const planned = await planIncident(app.engine(), await selection(app, io, opts), (t) =>
          ctx.progress(t),
        );
        ctx.progress('');
        if (ctx.globals.json)
          return ctx.printJson('incident-plan', {
            digest: planned.digest,
            document: planned.document,
            plans: Object.fromEntries(
              [...planned.plans].map(([ref, p]) => [ref, { digest: p.digest, plan: p.plan }]),
            ),
          });
        printDocument(ctx, planned.document, planned.digest);
        ctx.print(
          'file it: nhi incident request --select ... --reason TEXT --as <you> --digest <incident digest>',
        );
      });
    });

  selectOptions(
    incident
      .command('request')
      .description('file the incident: one request per target, one notice to the owners with their share'),
  )
    .option('--reason <text>', 'why: the incident id, what was compromised (required)')
    .option('--as <principal>', 'who is asking (required)')
    .option('--key <file>', 'your private key: signs each request so --as is proven')
    .option(
      '--digest <incident-digest>',
      'the incident digest you reviewed with nhi incident plan; refused if the estate changed since',
    )
    .addHelpText(
      'after',
      '\nExample:\n  nhi incident request --select tag:ci-system=jenkins --reason "INC-7 CI runner compromised" --as carol --key ~/.nhi/carol.key --digest sha256:...',
    )
    .action(
      async (
        opts: SelectOptions & { reason?: string; as?: string; key?: string; digest?: string },
        cmd: Command,
      ) => {
        const ctx = contextFor(cmd, io);
        const missing = (['reason', 'as'] as const).filter((o) => !opts[o]);
        if (missing.length)
          throw new UsageError(
            `nhi incident request needs ${missing.map((o) => `--${o}`).join(', ')} (see --help)`,
          );
        const actor = opts.key ? { privateKey: readPrivateKey(opts.key) } : undefined;
        await ctx.withApp(async (app) => {
          const filed = await fileIncident(
            app.engine(),
            {
              selection: await selection(app, io, opts),
              reason: opts.reason as string,
              requester: opts.as as string,
              ...(actor ? { actor } : {}),
              ...(opts.digest ? { expectDigest: opts.digest } : {}),
            },
            (t) => ctx.progress(t),
          );
          ctx.progress('');
          const { incident: inc, requests } = filed;
          if (ctx.globals.json)
            return ctx.printJson('incident-request', { incident: inc, requests: inc.requests });
          ctx.print(
            `incident ${inc.id} filed: ${requests.length} target(s); digest ${inc.digest}; expires ${inc.expiresAt}`,
          );
          if (inc.document.unrecoverable.length)
            ctx.print(
              `  ${inc.document.unrecoverable.length} selected identit(ies) cannot be recovered: nhi incident status ${inc.id}`,
            );
          const shares = ownerShares(requests);
          const orphans = requests.filter((r) => r.owners.length === 0).length;
          for (const [owner, share] of shares)
            ctx.print(
              `  ${owner}: ${share.length} target(s) — ${incidentDecisionCommand(inc.id, inc.digest, owner, 'approve')}`,
            );
          if (orphans)
            ctx.print(`  ${orphans} target(s) have no registered owner: only break-glass can run them`);
          ctx.print(`  then: nhi incident run ${inc.id} --as <executor>`);
        });
      },
    );

  // approve | deny (here or offline on an exported share) and export.
  registerIncidentDecisionCommands(incident, io);

  incident
    .command('exclude')
    .description('take one target out of an incident before it runs (audited; its request is withdrawn)')
    .argument('<incident-id>', 'incident id')
    .argument('<ref>', 'the target ref')
    .requiredOption('--as <principal>', 'who excludes it')
    .requiredOption('--reason <text>', 'why it is left out')
    .action(async (id: string, ref: string, opts: { as: string; reason: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      await ctx.withApp(async (app) => {
        const e = await excludeTarget(app.engine(), {
          incidentId: id,
          ref,
          by: opts.as,
          reason: opts.reason,
        });
        if (ctx.globals.json) return ctx.printJson('incident-exclude', e);
        ctx.print(`${ref} excluded from incident ${id} by ${e.by}: ${e.reason}`);
      });
    });

  registerIncidentRunCommands(incident, io);
}
