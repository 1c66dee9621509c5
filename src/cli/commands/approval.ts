import type { Command } from 'commander';
import { type DecisionOutcome, recordDecision } from '../../approval/decide.js';
import { ownerRegistryFromConfig } from '../../approval/registry.js';
import type { Decision } from '../../store/types.js';
import { type CliIo, contextFor } from '../context.js';
import { readPrivateKey } from '../key-file.js';

interface DecisionOptions {
  as: string;
  key: string;
  comment?: string;
  digest?: string;
}

export function registerApprovalCommands(program: Command, io: CliIo): void {
  for (const decision of ['approve', 'deny'] as const) {
    program
      .command(decision)
      .description(
        `${decision} a request: sign (requestId, planDigest, decision, expiresAt) with your Ed25519 key; ` +
          `after a break-glass run, ${decision === 'approve' ? 'endorse' : 'dispute'} it (retrospective review)`,
      )
      .argument('<request-id>', 'request id')
      .requiredOption('--as <principal>', 'owner principal deciding')
      .requiredOption('--key <file>', 'your private key file (from nhi keygen; mode 0600)')
      .option('--comment <text>', 'comment recorded with the decision')
      .option('--digest <plan-digest>', 'the plan digest you reviewed; refused if the plan has changed since')
      .addHelpText(
        'after',
        `\nExit 3 when refused by policy (self-approval, not an owner, wrong key, plan changed, expired, duplicate).\n` +
          `\nOn a request run by break-glass, this records your retrospective review instead (signed with\n` +
          `purpose "retrospective-review"): approve endorses the run, deny disputes it and alerts security.\n` +
          `The break-glass executor and the requester cannot review.\n` +
          `\nExample:\n  nhi ${decision} req_01H... --as alice --key ~/.nhi/alice.key --digest sha256:...`,
      )
      .action(async (requestId: string, opts: DecisionOptions, cmd: Command) => {
        const ctx = contextFor(cmd, io);
        // Read and check the key before opening anything: a bad key file is a usage error (exit 2).
        const privateKey = readPrivateKey(opts.key);
        const outcome = await ctx.withApp((app) =>
          recordDecision(
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
              ...(opts.digest ? { planDigest: opts.digest } : {}),
            },
          ),
        );
        if (ctx.globals.json) ctx.printJson(outcome);
        else for (const line of describeOutcome(requestId, decision, opts.as, outcome)) ctx.print(line);
      });
  }
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
