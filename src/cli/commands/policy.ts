/**
 * `nhi policy sign` / `nhi policy show`: the policy document (owner registry, tiers, approval
 * policy, control owners) and its control owners' signatures (src/policy).
 */
import { createPublicKey } from 'node:crypto';
import type { Command } from 'commander';
import { keyIdOf } from '../../audit/keys.js';
import { UsageError } from '../../lib/errors.js';
import { diffPolicy, formatChanges } from '../../policy/diff.js';
import { type PolicyStatus, policyStatus, requireSignedPolicy } from '../../policy/gate.js';
import { appendSignature, signPolicy } from '../../policy/signatures.js';
import { type CliIo, contextFor } from '../context.js';
import { readPrivateKey } from '../key-file.js';

export function registerPolicyCommands(program: Command, io: CliIo): void {
  const policy = program
    .command('policy')
    .description(
      'policy sign | policy show: the signed policy (owner registry, tiers, approval policy) and its control owners',
    );
  policy
    .command('sign')
    .description("sign the current policy document's digest as one of its control owners")
    .requiredOption('--as <principal>', 'control owner signing')
    .requiredOption('--key <file>', 'your private key file (from nhi keygen; mode 0600)')
    .addHelpText(
      'after',
      '\nThe signature goes to policy.signaturesFile (default nhi.policy.sig.json next to the config).\n' +
        'Once a quorum of the pinned control owners has signed, the policy is adopted (policy.adopted).\n' +
        '\nExample:\n  nhi policy show\n  nhi policy sign --as alice --key ~/.nhi/alice.key',
    )
    .action(async (opts: { as: string; key: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      const privateKey = readPrivateKey(opts.key);
      await ctx.withApp(async (app) => {
        const status = await policyStatus(app);
        const pinned = Object.hasOwn(status.controlOwners.principals, opts.as)
          ? status.controlOwners.principals[opts.as]
          : undefined;
        if (!pinned) {
          throw new UsageError(
            `${opts.as} is not a control owner${status.state.pinned ? ' pinned in the audit log' : ''} (control owners: ${Object.keys(status.controlOwners.principals).join(', ')}); their signature would not count`,
          );
        }
        const keyId = keyIdOf(createPublicKey(privateKey));
        if (keyId !== pinned.keyId) {
          throw new UsageError(
            `--key is not ${opts.as}'s ${status.state.pinned ? 'pinned ' : ''}control-owner key (${keyId}, expected ${pinned.keyId})`,
          );
        }
        if (!status.adopted) {
          appendSignature(
            status.signaturesFile,
            signPolicy(privateKey, {
              policyDigest: status.digest,
              previousDigest: status.previousDigest,
              principal: opts.as,
              signedAt: app.now().toISOString(),
            }),
          );
        }
        const after = await policyStatus(app);
        // A quorum reached by this signature adopts the policy now, so the log names its signers.
        if (!after.adopted && after.count.met) await requireSignedPolicy(app);
        const final = await policyStatus(app);
        const result = {
          policyDigest: final.digest,
          previousDigest: status.previousDigest,
          principal: opts.as,
          keyId,
          signaturesFile: final.signaturesFile,
          alreadyAdopted: status.adopted,
          adopted: final.adopted,
          signers: final.count.signers,
          need: final.count.need,
        };
        if (ctx.globals.json) return ctx.printJson('policy-sign', result);
        if (status.adopted) {
          ctx.print(
            `policy ${final.digest} is already adopted (signed by ${final.count.signers.join(', ')}); nothing to sign`,
          );
          return;
        }
        ctx.print(`signed policy ${final.digest} as ${opts.as} (${final.signaturesFile})`);
        ctx.print(
          final.adopted
            ? `  quorum met (${final.count.signers.join(', ')}): adopted at audit seq ${final.state.adopted?.seq}`
            : `  ${final.count.signers.length} of ${final.count.need} control-owner signature(s); waiting for ${Object.keys(
                final.controlOwners.principals,
              )
                .filter((n) => !final.count.signers.includes(n))
                .join(' or ')}`,
        );
      });
    });
  policy
    .command('show')
    .description(
      'print the policy digest, its control owners and quorum, who signed, and what changed since the adopted policy',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      await ctx.withApp(async (app) => {
        const status = await policyStatus(app);
        const view = describe(status);
        if (ctx.globals.json) ctx.printJson('policy-show', view);
        else for (const line of showLines(view)) ctx.print(line);
      });
    });
}

function describe(s: PolicyStatus) {
  const configured = s.document.policy.controlOwners;
  return {
    policyDigest: s.digest,
    adopted: s.adopted,
    ...(s.state.adopted ? { adoptedDigest: s.state.adopted.digest, adoptedAtSeq: s.state.adopted.seq } : {}),
    controlOwners: {
      principals: Object.keys(s.controlOwners.principals),
      quorum: s.controlOwners.quorum,
      ...(s.state.pinned ? { pinnedAtSeq: s.state.pinned.seq } : { pinned: false }),
    },
    configuredControlOwners: { principals: Object.keys(configured.principals), quorum: configured.quorum },
    signers: s.count.signers,
    need: s.count.need,
    quorumMet: s.count.met,
    ignored: s.count.ignored,
    changes: s.state.adopted ? diffPolicy(s.state.adopted.document, s.document) : [],
    signaturesFile: s.signaturesFile,
  };
}

function showLines(v: ReturnType<typeof describe>): string[] {
  const lines = [
    `policy ${v.policyDigest}: ${v.adopted ? `adopted (audit seq ${v.adoptedAtSeq})` : 'NOT adopted: decisions are refused until the control owners sign it'}`,
    `  control owners: ${v.controlOwners.principals.join(', ')} (quorum ${v.controlOwners.quorum}), ${
      'pinnedAtSeq' in v.controlOwners
        ? `pinned at audit seq ${v.controlOwners.pinnedAtSeq}`
        : 'from the config (pinned at the first adoption)'
    }`,
    `  signed by: ${v.signers.join(', ') || 'nobody yet'} (${v.signers.length} of ${v.need}${v.quorumMet ? ', quorum met' : ''})`,
    ...v.ignored.map((i) => `  ignored signature by ${i.principal}: ${i.reason}`),
  ];
  if (v.adoptedDigest && !v.adopted) {
    lines.push(`  changed since the adopted policy ${v.adoptedDigest}:`);
    lines.push(...formatChanges(v.changes).map((c) => `    ${c}`));
  }
  if (!v.adopted)
    lines.push(`  sign it: nhi policy sign --as <${v.controlOwners.principals.join('|')}> --key <key file>`);
  lines.push(`  signatures file: ${v.signaturesFile}`);
  return lines;
}
