/**
 * `nhi incident approve|deny --request-file FILE`: decide an owner's whole incident share on
 * the document `nhi incident export` wrote, with no config, no database and no network — with
 * an nhi or OpenSSH Ed25519 key, or by printing the exact payload for `ssh-keygen -Y sign` and
 * turning the signature into a decision file. `nhi approval import` records it.
 */
import {
  decideShareOffline,
  type IncidentDecisionDocument,
  sharePayloadToSign,
  sshShareDecision,
} from '../../approval/offline/incident-decision.js';
import {
  type IncidentShareDocument,
  parseShareDocument,
  targetAsRequestDocument,
} from '../../approval/offline/incident-document.js';
import { ownerRegistryFromConfig } from '../../approval/owners/owner-registry.js';
import { decideIncident, type IncidentDecisionOutcome } from '../../incident/decide.js';
import { PolicyError, UsageError } from '../../lib/errors.js';
import { writeOutputFile } from '../../lib/output-file.js';
import { safeLine, safeText } from '../../lib/safe-text.js';
import { KEY_FILE_PLACEHOLDER, shellWord } from '../../plan-view/commands.js';
import { renderPlanText } from '../../plan-view/text.js';
import type { Decision } from '../../store/types.js';
import { canAsk, confirmDecision } from '../confirm.js';
import type { CliContext, CliIo } from '../context.js';
import { versioned } from '../json-output.js';
import { readPrivateKey } from '../key-file.js';
import type { OfflineDecisionOptions } from './offline-approval.js';
import { documentPlanView, readText } from './offline-approval.js';

export type ShareDecisionOptions = OfflineDecisionOptions & { sshSignature?: string; signedPayload?: string };

/** Every plan of the share as the owner reads it, then the one decision that covers them all. */
export function sharePlanText(doc: IncidentShareDocument, file: string): string {
  const id = doc.incident.id;
  const parts = doc.targets.map((target) => {
    const view = documentPlanView(targetAsRequestDocument(doc, target));
    view.commands = {
      next: `part of incident ${id}: decided with the whole share (below)`,
      approve: {},
      deny: {},
    };
    return renderPlanText(view);
  });
  const offline = (decision: Decision) =>
    `  nhi incident ${decision} --request-file ${shellWord(file)} --as ${shellWord(doc.principal)} --key ${KEY_FILE_PLACEHOLDER} --digest ${doc.incident.digest} --out decision-${doc.principal}.json`;
  return [
    ...parts.flatMap((text) => [text, '']),
    `Incident ${id}: ${doc.principal}'s share, ${doc.targets.length} target(s) (above), one signature for all of them`,
    `  incident digest ${doc.incident.digest}; subset root ${doc.payload.subsetRoot}`,
    `  requested by ${doc.incident.requester}${doc.incident.requesterSigned ? ' (signed)' : ''}: ${JSON.stringify(doc.incident.reason)}`,
    `  the requests expire at ${doc.incident.requestExpiresAt}; a decision stands ${doc.approvalTtlHours} h at most`,
    ...doc.skipped.map((s) => `  not in this share: ${s.ref} (${s.why})`),
    'To decide (on the orchestrator afterwards: nhi approval import decision-<owner>.json):',
    offline('approve'),
    offline('deny'),
  ].join('\n');
}

/** `nhi incident approve|deny --request-file FILE`: decide a share offline. Returns the exit code. */
export async function decideShareFromFile(
  io: CliIo,
  decision: Decision,
  opts: ShareDecisionOptions,
  json: boolean,
): Promise<number> {
  const doc = parseShareDocument(readText(opts.requestFile, '--request-file'), opts.requestFile);
  const now = new Date();
  if (opts.printPayload) {
    // Exactly the bytes to sign, no newline: `... --print-payload > payload && ssh-keygen -Y sign -n nhi-approval -f KEY payload`.
    io.stdout.write(sharePayloadToSign(doc, opts.as, decision, now));
    return 0;
  }
  if (!opts.out) throw new UsageError('--out FILE is required: where the signed decision is written');
  if (opts.digest !== undefined && opts.digest !== doc.incident.digest) {
    throw new PolicyError(
      'digest-mismatch',
      `--digest ${opts.digest} is not the incident in ${opts.requestFile} (${doc.incident.digest}); nothing was signed`,
    );
  }
  let signed: IncidentDecisionDocument;
  if (opts.sshSignature !== undefined) {
    if (opts.key) throw new UsageError('pass either --key or --ssh-signature, not both');
    const payloadFile = opts.signedPayload ?? opts.sshSignature.replace(/\.sig$/, '');
    if (payloadFile === opts.sshSignature)
      throw new UsageError('--signed-payload FILE is required: the payload --ssh-signature signs');
    signed = sshShareDecision(doc, {
      principal: opts.as,
      decision,
      signature: readText(opts.sshSignature, '--ssh-signature'),
      signedPayload: readText(payloadFile, '--signed-payload'),
      now,
      ...(opts.comment ? { comment: opts.comment } : {}),
    });
  } else {
    if (!opts.key)
      throw new UsageError(
        '--key is required to sign (or use --print-payload, ssh-keygen -Y sign and --ssh-signature)',
      );
    const privateKey = readPrivateKey(opts.key);
    // Made terminal-safe as a whole: the share's own lines carry refs, reasons and names from the file.
    if (!json && canAsk(io)) io.stdout.write(`${safeText(sharePlanText(doc, opts.requestFile))}\n`);
    const yes = await confirmDecision(io, {
      decision,
      planDigest: doc.incident.digest,
      ...(opts.digest !== undefined ? { digest: opts.digest } : {}),
      what: `${doc.targets.length} target(s) of incident ${doc.incident.id} (digest ${doc.incident.digest})`,
      seePlan: `nhi incident ${decision} --request-file ${opts.requestFile} on a terminal shows them`,
    });
    if (!yes) {
      io.stderr.write('not signed: nothing was written\n');
      return 1;
    }
    signed = decideShareOffline(doc, {
      principal: opts.as,
      decision,
      privateKey,
      now,
      ...(opts.comment ? { comment: opts.comment } : {}),
    });
  }
  await writeOutputFile(opts.out, async (write) => write(`${JSON.stringify(signed, null, 2)}\n`), {
    mode: 0o644,
  });
  if (json) io.stdout.write(`${JSON.stringify(versioned('incident-offline-decision', signed), null, 2)}\n`);
  else
    for (const line of [
      `signed: ${signed.decision} of ${signed.subset.length} target(s) of incident ${signed.incidentId} by ${signed.principal} with key ${signed.proof.keyId}`,
      `  incident digest ${doc.incident.digest}; subset root ${doc.payload.subsetRoot}`,
      `  written to ${opts.out}; on the orchestrator: nhi approval import ${opts.out}`,
    ])
      io.stdout.write(`${safeLine(line)}\n`);
  return 0;
}

/** What an incident decision recorded, said plainly (here or imported). */
export function describeShareOutcome(o: IncidentDecisionOutcome): string[] {
  const ready = o.decided.filter((d) => d.status === 'approved').length;
  return [
    `${o.decision === 'approve' ? 'approved' : 'denied'} by ${o.principal}: ${o.decided.length} target(s) of incident ${o.incidentId} with one signature (expires ${o.expiresAt})`,
    ...(o.decision === 'approve'
      ? [`  ${ready} now ready to run (others wait for a second owner or their hold)`]
      : []),
    ...o.skipped.map((s) => `  not in this decision: ${s.ref} (${s.why})`),
  ];
}

/**
 * `nhi approval import` of an incident decision file: recorded through decideIncident with the
 * signed proof, only if its subset and payload are the share the store holds now (exit 3 if not).
 */
export async function importShareDecision(ctx: CliContext, d: IncidentDecisionDocument): Promise<void> {
  await ctx.withApp(async (app) => {
    const outcome = await decideIncident(
      {
        store: app.store,
        audit: app.audit,
        config: app.config,
        notifier: app.notifier,
        registry: ownerRegistryFromConfig(app.config),
      },
      {
        incidentId: d.incidentId,
        principal: d.principal,
        decision: d.decision,
        now: app.now(),
        signed: { proof: d.proof, subset: d.subset },
        ...(d.comment ? { comment: d.comment } : {}),
      },
    );
    if (ctx.globals.json) return ctx.printJson('incident-decision', outcome);
    ctx.print(
      `imported a ${d.proof.method} signature by ${d.principal} over their share of incident ${d.incidentId}`,
    );
    for (const line of describeShareOutcome(outcome)) ctx.print(line);
  });
}
