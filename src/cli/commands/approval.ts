import type { Command } from 'commander';
import type { App } from '../../app.js';
import { type DecisionOutcome, recordDecision } from '../../approval/decisions/decide.js';
import { trustedRequest } from '../../approval/decisions/signed-request.js';
import { ownerRegistryFromConfig } from '../../approval/owners/owner-registry.js';
import { UsageError } from '../../lib/errors.js';
import { configFacts } from '../../plan-view/config-facts.js';
import { buildPlanView } from '../../plan-view/model.js';
import { renderPlanText } from '../../plan-view/text.js';
import type { Decision } from '../../store/types.js';
import { canAsk, confirmDecision } from '../confirm.js';
import { type CliContext, type CliIo, contextFor } from '../context.js';
import { readPrivateKey } from '../key-file.js';
import { decideFromRequestFile } from './offline-approval.js';

interface DecisionOptions {
  as: string;
  key?: string;
  comment?: string;
  digest?: string;
  requestFile?: string;
  out?: string;
  printPayload?: boolean;
}

export function registerApprovalCommands(program: Command, io: CliIo): void {
  for (const decision of ['approve', 'deny'] as const) {
    program
      .command(decision)
      .description(
        `${decision} a request: sign (requestId, planDigest, decision, expiresAt) with your Ed25519 key; ` +
          `after a break-glass run, ${decision === 'approve' ? 'endorse' : 'dispute'} it (retrospective review)`,
      )
      .argument('[request-id]', 'request id (or --request-file for an exported request)')
      .requiredOption('--as <principal>', 'owner principal deciding')
      .option('--key <file>', 'your private key: nhi keygen PEM or OpenSSH ~/.ssh/id_ed25519 (mode 0600)')
      .option('--comment <text>', 'comment recorded with the decision')
      .option(
        '--digest <plan-digest>',
        'the plan digest you reviewed; refused if the plan has changed since (required when not on a terminal)',
      )
      .option(
        '--request-file <file>',
        'decide offline on a document from nhi request export (no config, no database)',
      )
      .option('--out <file>', 'with --request-file: where to write the signed decision')
      .option(
        '--print-payload',
        'with --request-file: print the exact bytes to sign with ssh-keygen -Y sign -n nhi-approval',
      )
      .addHelpText(
        'after',
        `\nExit 3 when refused by policy (self-approval, not an owner, wrong key, plan changed, expired, duplicate).\n` +
          `\nOn a request run by break-glass, this records your retrospective review instead (signed with\n` +
          `purpose "retrospective-review"): approve endorses the run, deny disputes it and alerts security.\n` +
          `The break-glass executor and the requester cannot review.\n` +
          `\nOn a terminal the plan is shown and you are asked "${decision}? [y/N]"; elsewhere --digest is required.\n` +
          `\nExamples:\n  nhi ${decision} req_01H... --as alice --key ~/.nhi/alice.key --digest sha256:...\n` +
          `  nhi ${decision} --request-file req.json --as alice --key ~/.ssh/id_ed25519 --out decision.json\n` +
          `  nhi ${decision} --request-file req.json --as alice --print-payload > payload && ssh-keygen -Y sign -n nhi-approval -f ~/.ssh/id_ed25519_sk payload`,
      )
      .action(async (requestId: string | undefined, opts: DecisionOptions, cmd: Command) => {
        const ctx = contextFor(cmd, io);
        if (opts.requestFile) {
          if (requestId) throw new UsageError('pass a request id or --request-file, not both');
          const code = await decideFromRequestFile(
            io,
            decision,
            { ...opts, requestFile: opts.requestFile },
            ctx.globals.json ?? false,
          );
          if (code !== 0) cmd.parent?.setOptionValue('exitCode', code);
          return;
        }
        if (!requestId) throw new UsageError(`name the request to ${decision} (or pass --request-file)`);
        if (opts.out || opts.printPayload)
          throw new UsageError('--out and --print-payload go with --request-file');
        if (!opts.key) throw new UsageError('--key is required: the private key you sign with');
        // Read and check the key before opening anything: a bad key file is a usage error (exit 2).
        const privateKey = readPrivateKey(opts.key);
        const outcome = await ctx.withApp(async (app) => {
          const shown = await showPlan(app, requestId, ctx, canAsk(io));
          if (shown) {
            const yes = await confirmDecision(io, {
              decision,
              planDigest: shown,
              ...(opts.digest !== undefined ? { digest: opts.digest } : {}),
              what: `request ${requestId} (plan ${shown})`,
              seePlan: `see it with nhi status ${requestId}`,
            });
            if (!yes) return undefined;
          }
          return recordDecision(
            {
              store: app.store,
              audit: app.audit,
              config: app.config,
              notifier: app.notifier,
              registry: ownerRegistryFromConfig(app.config),
            },
            {
              requestId,
              principal: opts.as,
              decision,
              privateKey,
              now: app.now(),
              ...(opts.comment ? { comment: opts.comment } : {}),
              // What the owner saw (or named) is what is signed: a plan changed since is refused.
              ...(opts.digest || shown ? { planDigest: opts.digest ?? shown } : {}),
            },
          );
        });
        if (!outcome) {
          io.stderr.write('not signed: nothing was recorded\n');
          cmd.parent?.setOptionValue('exitCode', 1);
          return;
        }
        if (ctx.globals.json) ctx.printJson('decision', outcome);
        else for (const line of describeOutcome(requestId, decision, opts.as, outcome)) ctx.print(line);
      });
  }
}

/**
 * Print the stored request's signed plan when a person is there to read it (a terminal, no
 * --json) and return its digest. A script gets only what was signed (describeOutcome). A request
 * that does not exist or whose plan fails its digest is shown nothing: recordDecision refuses
 * it and audits the refusal.
 */
async function showPlan(
  app: App,
  requestId: string,
  ctx: CliContext,
  onTerminal: boolean,
): Promise<string | undefined> {
  const row = await app.store.requests.get(requestId);
  if (!row) return undefined;
  let trusted: ReturnType<typeof trustedRequest>;
  try {
    trusted = trustedRequest(row);
  } catch {
    return undefined;
  }
  if (onTerminal && !ctx.globals.json) {
    const view = buildPlanView({
      plan: trusted.signedPlan,
      request: trusted,
      ...configFacts(app.config, trusted.signedPlan),
    });
    ctx.print(renderPlanText(view));
  }
  return trusted.planDigest;
}

export function describeOutcome(
  requestId: string,
  decision: Decision,
  principal: string,
  o: DecisionOutcome,
): string[] {
  const lines: string[] = [];
  if (o.review) {
    const r = o.review;
    lines.push(
      r.outcome === 'endorsed'
        ? `break-glass run ${r.runId} (by ${r.executor}) endorsed by ${principal}; request ${requestId} no longer needs review`
        : `break-glass run ${r.runId} (by ${r.executor}) DISPUTED by ${principal}; security has been alerted`,
    );
    lines.push(
      `  plan ${o.approval.planDigest}, ${o.tier} tier, review ${o.approval.id}, audit seq ${o.auditSeq}`,
    );
    lines.push(...notifyNotes(o));
    return lines;
  }
  if (decision === 'deny') {
    lines.push(`denied by ${principal}; request ${requestId} is closed (${o.requestStatus})`);
  } else {
    let line = `approved by ${principal} (${o.quorum.have} of ${o.quorum.need} required)`;
    if (o.requestStatus === 'approved') {
      line += o.holdUntil ? `; hold until ${o.holdUntil}` : '; ready to run';
    } else {
      line += `; request ${requestId} is ${o.requestStatus}`;
    }
    lines.push(line);
    lines.push(`  this approval expires at ${o.approval.expiresAt}`);
  }
  lines.push(
    `  plan ${o.approval.planDigest}, ${o.tier} tier, approval ${o.approval.id}, audit seq ${o.auditSeq}`,
  );
  if (decision === 'approve' && o.requestStatus === 'approved') {
    lines.push(
      `  run it with: nhi run ${requestId} --as <executor>${o.tier === 'privileged' ? ' (not one of the approvers)' : ''}`,
    );
  }
  lines.push(...notifyNotes(o));
  return lines;
}

function notifyNotes(o: DecisionOutcome): string[] {
  const lines = o.notified
    .filter((x) => x.status !== 'delivered')
    .map((n) => `  note: notification to ${n.target} ${n.status}${n.error ? ` (${n.error})` : ''}`);
  if (o.notifyError) lines.push(`  note: notifications failed: ${o.notifyError}`);
  return lines;
}
