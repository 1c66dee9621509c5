import { resolve } from 'node:path';
import type { Command } from 'commander';
import { auditClaimCheckers } from '../../approval/audit-claims.js';
import { exportAuditJsonl } from '../../audit/export.js';
import { verifyAudit } from '../../audit/verify.js';
import { AuditError } from '../../lib/errors.js';
import { type CliIo, contextFor } from '../context.js';

export function registerAuditCommands(program: Command, io: CliIo): void {
  const audit = program
    .command('audit')
    .description('audit verify | audit export: check or export the tamper-evident audit log');
  audit
    .command('verify')
    .description(
      'recompute the hash chain, check every signed checkpoint and re-verify every approval, review and actor signature offline',
    )
    .addHelpText(
      'after',
      '\nExit 0 when intact; 1 naming the first bad entry and why.\n\nExample:\n  nhi audit verify',
    )
    .action(async (_opts, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      await ctx.withApp(async (app) => {
        const verdict = await verifyAudit(
          app.store.audit,
          app.auditPublicKey,
          auditClaimCheckers(app.config),
        );
        if (ctx.globals.json) ctx.printJson(verdict);
        if (!verdict.ok) {
          throw new AuditError(
            `audit log NOT intact: first bad entry seq ${verdict.firstBad?.seq}: ${verdict.firstBad?.reason}`,
          );
        }
        if (!ctx.globals.json) {
          ctx.print(
            `audit log intact: ${verdict.entries} entries, ${verdict.checkpoints} signed checkpoint(s), ` +
              `${verdict.checkedClaims} signature(s) re-verified (approvals, reviews, signed requesters and executors)`,
          );
          if (verdict.unsignedTail > 0) {
            ctx.print(
              `  note: the last ${verdict.unsignedTail} entr(y/ies) are chained but not yet covered by a signed checkpoint`,
            );
          }
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
        if (ctx.globals.json) ctx.printJson({ out, ...result });
        else
          ctx.print(`exported ${result.entries} entries and ${result.checkpoints} checkpoint(s) to ${out}`);
      });
    });
}
