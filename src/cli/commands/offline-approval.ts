/**
 * Approving from wherever the owner is: `nhi request export` writes a self-contained request
 * document; `nhi approve|deny --request-file` decides on it with no config, no database and no
 * network; `nhi approval import` records the decision (or an `ssh-keygen -Y sign` signature)
 * on the orchestrator, verified exactly like an online approval.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { recordDecision } from '../../approval/decisions/decide.js';
import { trustedRequest } from '../../approval/decisions/signed-request.js';
import {
  type DecisionDocument,
  decideOffline,
  parseDecisionDocument,
  payloadToSign,
  sshDecision,
} from '../../approval/offline/decision-document.js';
import { incidentDecisionIn } from '../../approval/offline/incident-decision.js';
import {
  buildRequestDocument,
  documentAsRequest,
  parseRequestDocument,
  type RequestDocument,
} from '../../approval/offline/request-document.js';
import { ownerRegistryFromConfig } from '../../approval/owners/owner-registry.js';
import { PolicyError, UsageError } from '../../lib/errors.js';
import { writeOutputFile } from '../../lib/output-file.js';
import { safeLine, safeText } from '../../lib/safe-text.js';
import { KEY_FILE_PLACEHOLDER, shellWord } from '../../plan-view/commands.js';
import { configFacts } from '../../plan-view/config-facts.js';
import { buildPlanView, type PlanView } from '../../plan-view/model.js';
import { renderPlanText } from '../../plan-view/text.js';
import { policyStatus } from '../../policy/gate.js';
import type { Decision } from '../../store/types.js';
import { canAsk, confirmDecision } from '../confirm.js';
import { type CliIo, contextFor } from '../context.js';
import { versioned } from '../json-output.js';
import { readPrivateKey } from '../key-file.js';
import { describeOutcome } from './approval.js';

export interface OfflineDecisionOptions {
  requestFile: string;
  as: string;
  key?: string;
  out?: string;
  digest?: string;
  comment?: string;
  printPayload?: boolean;
}

export function readText(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${option} ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

function readDocument(file: string): RequestDocument {
  return parseRequestDocument(readText(file, '--request-file'), file);
}

/** The plan view of a document alone (its commands are the caller's to set). */
export function documentPlanView(doc: RequestDocument): PlanView {
  return buildPlanView({
    plan: doc.plan,
    policy: doc.facts.policy,
    delivery: doc.facts.delivery,
    request: documentAsRequest(doc),
  });
}

/** The plan as the owner reads it, from the document alone, with the offline commands to decide. */
export function documentPlanText(doc: RequestDocument, file: string): string {
  const view = documentPlanView(doc);
  const offline = (decision: Decision, owner: string) =>
    `nhi ${decision} --request-file ${shellWord(file)} --as ${shellWord(owner)} --key ${KEY_FILE_PLACEHOLDER} --digest ${doc.planDigest} --out decision-${owner}.json`;
  const owners = doc.owners.map((o) => o.principal);
  view.commands = {
    next: `nhi approval import decision-<owner>.json (on the orchestrator)`,
    approve: Object.fromEntries(owners.map((o) => [o, offline('approve', o)])),
    deny: Object.fromEntries(owners.map((o) => [o, offline('deny', o)])),
  };
  return renderPlanText(view);
}

/** `nhi approve|deny --request-file FILE`: decide offline. Returns the exit code. */
export async function decideFromRequestFile(
  io: CliIo,
  decision: Decision,
  opts: OfflineDecisionOptions,
  json: boolean,
): Promise<number> {
  const doc = readDocument(opts.requestFile);
  const now = new Date();
  if (opts.printPayload) {
    // Exactly the bytes to sign, no newline: `... --print-payload > payload && ssh-keygen -Y sign -n nhi-approval -f KEY payload`.
    io.stdout.write(payloadToSign(doc, opts.as, decision, now));
    return 0;
  }
  if (!opts.key)
    throw new UsageError('--key is required to sign (or use --print-payload and ssh-keygen -Y sign)');
  if (!opts.out) throw new UsageError('--out FILE is required: where the signed decision is written');
  const privateKey = readPrivateKey(opts.key);
  if (opts.digest !== undefined && opts.digest !== doc.planDigest) {
    throw new PolicyError(
      'digest-mismatch',
      `--digest ${opts.digest} is not the plan in ${opts.requestFile} (${doc.planDigest}); nothing was signed`,
    );
  }
  // A request file is read as given: what is shown of it is made terminal-safe (a crafted ref or
  // reason must not move the cursor or reverse the text the owner reads before signing).
  if (!json && canAsk(io)) io.stdout.write(`${safeText(documentPlanText(doc, opts.requestFile))}\n`);
  const yes = await confirmDecision(io, {
    decision,
    planDigest: doc.planDigest,
    ...(opts.digest !== undefined ? { digest: opts.digest } : {}),
    what: `request ${doc.request.id} (plan ${doc.planDigest})`,
    seePlan: `nhi approve --request-file ${opts.requestFile} on a terminal shows it`,
  });
  if (!yes) {
    io.stderr.write('not signed: nothing was written\n');
    return 1;
  }
  const signed = decideOffline(doc, {
    principal: opts.as,
    decision,
    privateKey,
    now,
    ...(opts.comment ? { comment: opts.comment } : {}),
  });
  await writeOutputFile(opts.out, async (write) => write(`${JSON.stringify(signed, null, 2)}\n`), {
    mode: 0o644,
  });
  if (json) io.stdout.write(`${JSON.stringify(versioned('offline-decision', signed), null, 2)}\n`);
  else {
    for (const line of signedLines(doc, signed, opts.out)) io.stdout.write(`${safeLine(line)}\n`);
  }
  return 0;
}

/** What was signed, said plainly (the non-interactive path prints only this). */
function signedLines(doc: RequestDocument, d: DecisionDocument, out: string): string[] {
  return [
    `signed: ${d.decision} of request ${d.requestId} by ${d.principal} with key ${d.proof.keyId}`,
    `  plan ${doc.planDigest}; requester ${doc.request.requester}; reason ${JSON.stringify(doc.request.reason)}`,
    `  the decision stands until ${doc.decisionExpiresAt}`,
    `  written to ${out}; on the orchestrator: nhi approval import ${out}`,
  ];
}

export function registerOfflineApprovalCommands(program: Command, io: CliIo): void {
  const request = program.commands.find((c) => c.name() === 'request');
  if (!request) throw new Error('the request command must be registered first');
  request
    .command('export')
    .description(
      'write a self-contained request document for offline approval (plan, digest, policy; no secret)',
    )
    .argument('<request-id>', 'request id')
    .requiredOption('--out <file>', 'where to write the document')
    .addHelpText(
      'after',
      '\nThe owner decides on it anywhere, with only their key:\n' +
        '  nhi approve --request-file req.json --as alice --key ~/.ssh/id_ed25519 --out decision.json\n' +
        'and you record the decision here:\n  nhi approval import decision.json',
    )
    .action(async (requestId: string, opts: { out: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      await ctx.withApp(async (app) => {
        const row = await app.store.requests.get(requestId);
        if (!row) throw new UsageError(`no request ${requestId}`);
        const trusted = trustedRequest(row);
        if (trusted.status !== 'pending' && trusted.status !== 'approved') {
          throw new UsageError(`request ${requestId} is ${trusted.status}: there is nothing left to decide`);
        }
        const policy = await policyStatus({ config: app.config, store: app.store, audit: app.audit });
        const doc = buildRequestDocument(
          trusted,
          ownerRegistryFromConfig(app.config),
          { ...configFactsFor(app.config, trusted) },
          app.now(),
          policy.adopted ? policy.digest : undefined,
        );
        await writeOutputFile(opts.out, async (write) => write(`${JSON.stringify(doc, null, 2)}\n`), {
          mode: 0o644,
        });
        if (ctx.globals.json)
          return ctx.printJson('request-export', { out: opts.out, requestId, planDigest: doc.planDigest });
        ctx.print(`request ${requestId} exported to ${opts.out} (plan ${doc.planDigest})`);
        ctx.print(`  decisions on it stand until ${doc.decisionExpiresAt}`);
        for (const o of doc.owners) {
          ctx.print(
            `  ${o.principal}: nhi approve --request-file ${opts.out} --as ${o.principal} --key <private-key-file> --out decision-${o.principal}.json`,
          );
        }
      });
    });

  program
    .command('approval')
    .description('decisions made elsewhere')
    .command('import')
    .description(
      'record a decision signed offline (nhi approve --request-file, nhi incident approve --request-file) or with ssh-keygen -Y sign',
    )
    .argument('[decision-file]', 'decision file written by nhi [incident] approve --request-file --out')
    .option('--ssh-signature <file>', 'an ssh-keygen -Y sign -n nhi-approval signature over --print-payload')
    .option('--as <principal>', 'with --ssh-signature: the owner who signed')
    .option('--decision <approve|deny>', 'with --ssh-signature: what was signed')
    .option(
      '--request-file <file>',
      'with --ssh-signature: the request document the payload was printed from',
    )
    .option('--comment <text>', 'with --ssh-signature: comment recorded with the decision')
    .addHelpText(
      'after',
      '\nVerified like an online decision: the same refusals (not an owner, self-approval, plan changed,\n' +
        'expired, replayed, duplicate) with exit 3, each audited.\n' +
        '\nExamples:\n  nhi approval import decision-alice.json\n' +
        '  nhi approval import --ssh-signature payload.sig --as alice --decision approve --request-file req.json',
    )
    .action(async (file: string | undefined, opts: ImportOptions, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      // Arguments and files first: a wrong call is exit 2 before the config is even read.
      const text = file && opts.sshSignature === undefined ? readText(file, 'decision file') : undefined;
      // One owner's whole incident share, signed offline: recorded through decideIncident.
      const shared = file && text !== undefined ? incidentDecisionIn(text, file) : undefined;
      if (shared) return (await import('./incident-offline.js')).importShareDecision(ctx, shared);
      const decided = decisionToImport(file, text, opts, new Date());
      await ctx.withApp(async (app) => {
        const outcome = await recordDecision(
          {
            store: app.store,
            audit: app.audit,
            config: app.config,
            notifier: app.notifier,
            registry: ownerRegistryFromConfig(app.config),
          },
          {
            requestId: decided.requestId,
            principal: decided.principal,
            decision: decided.decision,
            proof: decided.proof,
            now: app.now(),
            ...(decided.comment ? { comment: decided.comment } : {}),
          },
        );
        if (ctx.globals.json) return ctx.printJson('decision', outcome);
        ctx.print(`imported a ${decided.proof.method} signature by ${decided.principal}`);
        for (const line of describeOutcome(decided.requestId, decided.decision, decided.principal, outcome))
          ctx.print(line);
      });
    });
}

interface ImportOptions {
  sshSignature?: string;
  as?: string;
  decision?: string;
  requestFile?: string;
  comment?: string;
}

function decisionToImport(
  file: string | undefined,
  text: string | undefined,
  opts: ImportOptions,
  now: Date,
): DecisionDocument {
  if (opts.sshSignature === undefined) {
    if (!file || text === undefined)
      throw new UsageError(
        'name a decision file, or pass --ssh-signature with --as, --decision and --request-file',
      );
    return parseDecisionDocument(text, file);
  }
  if (file) throw new UsageError('pass either a decision file or --ssh-signature, not both');
  if (!opts.as || !opts.requestFile) throw new UsageError('--ssh-signature needs --as and --request-file');
  if (opts.decision !== 'approve' && opts.decision !== 'deny') {
    throw new UsageError('--ssh-signature needs --decision approve or --decision deny');
  }
  return sshDecision(readDocument(opts.requestFile), {
    principal: opts.as,
    decision: opts.decision,
    signature: readText(opts.sshSignature, '--ssh-signature'),
    now,
    ...(opts.comment ? { comment: opts.comment } : {}),
  });
}

export function configFactsFor(
  config: Parameters<typeof configFacts>[0],
  request: ReturnType<typeof trustedRequest>,
): RequestDocument['facts'] {
  const facts = configFacts(config, request.signedPlan);
  if (!facts.policy || facts.delivery === undefined) throw new Error('plan view facts are incomplete');
  return { policy: facts.policy, delivery: facts.delivery };
}
