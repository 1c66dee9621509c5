/**
 * `nhi incident approve|deny` and `nhi incident export`: an owner decides their whole share of
 * an incident with one signature, here with their key, or away from the orchestrator on the
 * share document `nhi incident export` writes (`--request-file`: no config, no database),
 * brought back with `nhi approval import` (src/cli/commands/offline-approval.ts).
 */
import type { Command } from 'commander';
import { buildShareDocument } from '../../approval/offline/incident-document.js';
import { ownerRegistryFromConfig } from '../../approval/owners/owner-registry.js';
import { decideIncident } from '../../incident/decide.js';
import { ownerShare, requireShare, sealShare } from '../../incident/share.js';
import { UsageError } from '../../lib/errors.js';
import { writeOutputFile } from '../../lib/output-file.js';
import { policyStatus } from '../../policy/gate.js';
import { type CliIo, contextFor } from '../context.js';
import { readPrivateKey } from '../key-file.js';
import { decideShareFromFile, describeShareOutcome, type ShareDecisionOptions } from './incident-offline.js';
import { configFactsFor } from './offline-approval.js';

type DecisionOptions = Omit<ShareDecisionOptions, 'requestFile'> & { requestFile?: string };

export function registerIncidentDecisionCommands(incident: Command, io: CliIo): void {
  for (const decision of ['approve', 'deny'] as const) {
    incident
      .command(decision)
      .description(
        `${decision} your share of an incident (every target you own that awaits a decision) with one signature`,
      )
      .argument('[incident-id]', 'incident id (or --request-file for an exported share)')
      .requiredOption('--as <principal>', 'owner principal deciding')
      .option('--key <file>', 'your private key (nhi keygen PEM or OpenSSH ed25519, mode 0600)')
      .option('--digest <incident-digest>', 'the incident digest you reviewed; refused if it differs')
      .option('--comment <text>', 'comment recorded with each decision')
      .option(
        '--request-file <file>',
        'decide offline on a share document from nhi incident export (no config, no database)',
      )
      .option('--out <file>', 'with --request-file: where to write the signed decision')
      .option(
        '--print-payload',
        'with --request-file: print the exact bytes to sign with ssh-keygen -Y sign -n nhi-approval',
      )
      .option(
        '--ssh-signature <file>',
        'with --request-file: the ssh-keygen -Y sign signature of --print-payload',
      )
      .option(
        '--signed-payload <file>',
        'with --ssh-signature: the payload it signs (default: its path without .sig)',
      )
      .addHelpText(
        'after',
        `\nExamples:\n  nhi incident ${decision} inc_... --as alice --key ~/.nhi/alice.key --digest sha256:...\n` +
          `  nhi incident ${decision} --request-file share.json --as alice --key ~/.ssh/id_ed25519 --digest sha256:... --out decision.json\n` +
          `  nhi incident ${decision} --request-file share.json --as alice --print-payload > payload && ssh-keygen -Y sign -n nhi-approval -f ~/.ssh/id_ed25519 payload\n` +
          `  nhi incident ${decision} --request-file share.json --as alice --ssh-signature payload.sig --out decision.json\n` +
          'then, on the orchestrator: nhi approval import decision.json',
      )
      .action(async (id: string | undefined, opts: DecisionOptions, cmd: Command) => {
        const ctx = contextFor(cmd, io);
        if (opts.requestFile) {
          if (id) throw new UsageError('pass an incident id or --request-file, not both');
          const code = await decideShareFromFile(
            io,
            decision,
            { ...opts, requestFile: opts.requestFile },
            ctx.globals.json ?? false,
          );
          if (code !== 0) cmd.parent?.parent?.setOptionValue('exitCode', code);
          return;
        }
        if (!id) throw new UsageError(`name the incident to ${decision} (or pass --request-file)`);
        if (opts.out || opts.printPayload || opts.sshSignature || opts.signedPayload)
          throw new UsageError(
            '--out, --print-payload, --ssh-signature and --signed-payload go with --request-file',
          );
        if (!opts.key) throw new UsageError('--key is required: the private key you sign with');
        const privateKey = readPrivateKey(opts.key);
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
              incidentId: id,
              principal: opts.as,
              decision,
              now: app.now(),
              privateKey,
              ...(opts.digest ? { expectDigest: opts.digest } : {}),
              ...(opts.comment ? { comment: opts.comment } : {}),
            },
          );
          if (ctx.globals.json) return ctx.printJson('incident-decision', outcome);
          for (const line of describeShareOutcome(outcome)) ctx.print(line);
        });
      });
  }

  incident
    .command('export')
    .description(
      "write one owner's share of an incident as a self-contained document for offline approval (plans, digests, payload; no secret)",
    )
    .argument('<incident-id>', 'incident id')
    .requiredOption('--as <principal>', 'the owner whose share it is')
    .requiredOption('--out <file>', 'where to write the document')
    .addHelpText(
      'after',
      '\nThe owner decides on it anywhere, with only their key:\n' +
        '  nhi incident approve --request-file share.json --as alice --key ~/.ssh/id_ed25519 --digest sha256:... --out decision.json\n' +
        'and you record the decision here:\n  nhi approval import decision.json',
    )
    .action(async (id: string, opts: { as: string; out: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      await ctx.withApp(async (app) => {
        const registry = ownerRegistryFromConfig(app.config);
        const now = app.now();
        const current = await app.store.snapshot((tx) =>
          ownerShare({ registry }, tx, { incidentId: id, principal: opts.as, decision: 'decide', now }),
        );
        requireShare(current, opts.as);
        const sealed = sealShare(current, opts.as, app.config);
        const policy = await policyStatus({ config: app.config, store: app.store, audit: app.audit });
        const doc = buildShareDocument({
          incident: current.incident,
          share: current.share,
          skipped: current.skipped,
          fields: sealed.fields,
          ttlHours: sealed.ttlHours,
          registry,
          facts: (request) => configFactsFor(app.config, request),
          now,
          ...(policy.adopted ? { policyDigest: policy.digest } : {}),
        });
        await writeOutputFile(opts.out, async (write) => write(`${JSON.stringify(doc, null, 2)}\n`), {
          mode: 0o644,
        });
        if (ctx.globals.json)
          return ctx.printJson('incident-export', {
            out: opts.out,
            incidentId: id,
            incidentDigest: doc.incident.digest,
            principal: opts.as,
            targets: doc.targets.length,
            subsetRoot: doc.payload.subsetRoot,
          });
        ctx.print(
          `${opts.as}'s share of incident ${id} exported to ${opts.out}: ${doc.targets.length} target(s), digest ${doc.incident.digest}`,
        );
        for (const s of doc.skipped) ctx.print(`  not in it: ${s.ref} (${s.why})`);
        ctx.print(
          `  ${opts.as}: nhi incident approve --request-file ${opts.out} --as ${opts.as} --key <private-key-file> --digest ${doc.incident.digest} --out decision-${opts.as}.json`,
        );
      });
    });
}
