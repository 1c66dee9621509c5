import { resolve } from 'node:path';
import type { Command } from 'commander';
import { auditClaimCheckers } from '../../approval/signing/audit-claims.js';
import {
  crossCheckFailure,
  crossCheckStore,
  crossCheckSummary,
  withCrossCheck,
} from '../../audit/cross-check/index.js';
import { exportAuditJsonl } from '../../audit/export.js';
import { auditExportSource } from '../../audit/export-source.js';
import { verifyAudit } from '../../audit/verify.js';
import { AuditError, UsageError } from '../../lib/errors.js';
import { policyHistory } from '../../policy/history.js';
import { type CliIo, contextFor } from '../context.js';
import {
  checkWitnesses,
  collectWitness,
  printWitnessReport,
  WITNESS_OPTION_HELP,
  withWitnesses,
  witnessFailure,
  witnessSources,
} from './audit-witness.js';

export function registerAuditCommands(program: Command, io: CliIo): void {
  const audit = program
    .command('audit')
    .description('audit verify | audit export: check or export the tamper-evident audit log');
  audit
    .command('verify')
    .description(
      'recompute the hash chain, check every signed checkpoint and re-verify every approval, review and actor signature offline',
    )
    .option('--witness <source>', WITNESS_OPTION_HELP, collectWitness, [])
    .option(
      '--export <file>',
      'verify an `nhi audit export` file instead of the store: its chain, checkpoints and every signed claim (no store rows are read)',
    )
    .addHelpText(
      'after',
      '\nExit 0 when intact; 1 naming the first bad entry and why, or the witness the store no longer extends.\n\n' +
        'Examples:\n  nhi audit verify\n  nhi audit verify --witness file:/mnt/worm/nhi-audit.jsonl --witness s3://audit-bucket/nhi\n' +
        '  nhi audit verify --export nhi-audit.jsonl',
    )
    .action(async (opts: { witness: string[]; export?: string }, cmd: Command) => {
      if (opts.export !== undefined && opts.witness.length > 0) {
        throw new UsageError(
          '--export verifies a file on its own; --witness checks the store against a witness: use one',
        );
      }
      const ctx = contextFor(cmd, io);
      if (opts.export !== undefined) {
        const file = resolve(opts.export);
        await ctx.withApp(async (app) => {
          const verdict = await verifyAudit(
            auditExportSource(file),
            app.auditPublicKey,
            auditClaimCheckers(app.config),
            {
              checkpointEvery: app.config.audit.checkpointEvery,
            },
          );
          if (ctx.globals.json) ctx.printJson('audit-verify', { export: file, ...verdict });
          if (!verdict.ok) {
            throw new AuditError(
              `audit export NOT intact: first bad entry seq ${verdict.firstBad?.seq}: ${verdict.firstBad?.reason}`,
            );
          }
          if (!ctx.globals.json)
            ctx.print(
              `audit export intact: ${verdict.entries} entries, ${verdict.checkpoints} signed checkpoint(s), ` +
                `${verdict.checkedClaims} signature(s) re-verified (approvals, passkey assertions, reviews, signed requesters and executors)`,
            );
        });
        return;
      }
      await ctx.withApp(async (app) => {
        const sources = witnessSources(app, opts.witness);
        const verdict = await verifyAudit(
          app.store.audit,
          app.auditPublicKey,
          auditClaimCheckers(app.config),
          { checkpointEvery: app.config.audit.checkpointEvery },
        );
        // Then the store's rows against the (now trusted) entries: a row is believed only if chained.
        const crossCheck = verdict.ok ? await crossCheckStore(app.store) : undefined;
        const witness = await checkWitnesses(app, sources);
        // Which signed policy governed the runs in the log (src/policy/history.ts).
        const governed = verdict.ok ? await policyHistory(app.store.audit) : undefined;
        if (ctx.globals.json)
          ctx.printJson('audit-verify', {
            ...withWitnesses(withCrossCheck(verdict, crossCheck), witness),
            ...(governed
              ? { policies: governed.policies, runsWithoutPolicy: governed.runsWithoutPolicy }
              : {}),
          });
        if (!verdict.ok) {
          throw new AuditError(
            `audit log NOT intact: first bad entry seq ${verdict.firstBad?.seq}: ${verdict.firstBad?.reason}`,
          );
        }
        if (crossCheck && !crossCheck.ok) throw new AuditError(crossCheckFailure(crossCheck));
        const witnessProblem = witnessFailure(witness);
        if (witnessProblem) throw new AuditError(witnessProblem);
        if (!ctx.globals.json) {
          ctx.print(
            `audit log intact: ${verdict.entries} entries, ${verdict.checkpoints} signed checkpoint(s), ` +
              `${verdict.checkedClaims} signature(s) re-verified (approvals, reviews, signed requesters and executors)`,
          );
          if (crossCheck) ctx.print(`  ${crossCheckSummary(crossCheck)}`);
          for (const p of governed?.policies ?? []) {
            ctx.print(
              `  policy ${p.digest}: adopted at seq ${p.adoptedAtSeq}, signed by ${p.signers.join(', ')}, governed ${p.runs} run(s)`,
            );
          }
          if (governed?.runsWithoutPolicy)
            ctx.print(
              `  note: ${governed.runsWithoutPolicy} run(s) recorded no policy digest (before signed policies)`,
            );
          if (verdict.unsignedTail > 0) {
            ctx.print(
              `  note: the last ${verdict.unsignedTail} entr(y/ies) are chained but not yet covered by a signed checkpoint`,
            );
          }
          printWitnessReport(ctx, witness);
        }
      });
    });
  audit
    .command('export')
    .description('write the audit log as JSONL (one entry per line, then the signed checkpoints) for a SIEM')
    .option('--out <file>', 'output file', 'nhi-audit.jsonl')
    .addHelpText('after', '\nExample:\n  nhi audit export --out audit.jsonl')
    .action(async (opts: { out: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      await ctx.withApp(async (app) => {
        const out = resolve(opts.out);
        const result = await exportAuditJsonl(app.store.audit, out);
        if (ctx.globals.json) ctx.printJson('audit-export', { out, ...result });
        else
          ctx.print(`exported ${result.entries} entries and ${result.checkpoints} checkpoint(s) to ${out}`);
      });
    });
}
