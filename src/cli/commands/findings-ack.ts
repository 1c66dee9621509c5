/** `nhi findings ack <finding-id> --as P --reason TEXT [--key FILE]` (src/scan/ack.ts). */
import type { Command } from 'commander';
import { ownerRegistryFromConfig } from '../../approval/owners/owner-registry.js';
import { UsageError } from '../../lib/errors.js';
import { acknowledgeFinding } from '../../scan/ack.js';
import type { FindingRecord } from '../../store/types.js';
import { type CliIo, contextFor } from '../context.js';
import { readPrivateKey } from '../key-file.js';

export function registerFindingAck(findings: Command, io: CliIo): void {
  findings
    .command('ack <finding-id>')
    .description(
      'acknowledge an open revoked-still-used / revoked-possibly-used finding (they never resolve by themselves)',
    )
    .requiredOption('--as <principal>', 'who acknowledges it (recorded and audited)')
    .requiredOption('--reason <text>', 'why: the incident ticket, what was checked')
    .option(
      '--key <file>',
      'your private key file (from nhi keygen): signs the acknowledgment; required when policy.requireSignedActors is set',
    )
    .addHelpText(
      'after',
      '\nA later use of the revoked credential re-opens the finding.\n\nExample:\n  nhi findings ack fnd_3f… --as carol --reason "INC-42: CI runner rebuilt, key deleted" --key ~/.nhi/carol.key',
    )
    .action(async (id: string, opts: { as: string; reason: string; key?: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      const reason = opts.reason.trim();
      if (reason.length === 0) throw new UsageError('--reason must say why the finding is acknowledged');
      // Read before anything is opened: a bad key file is a usage error (exit 2).
      const privateKey = opts.key === undefined ? undefined : readPrivateKey(opts.key);
      await ctx.withApp(async (app) => {
        const f = await acknowledgeFinding(
          {
            config: app.config,
            registry: ownerRegistryFromConfig(app.config),
            store: app.store,
            audit: app.audit,
            now: app.now,
          },
          { findingId: id, principal: opts.as, reason, ...(privateKey ? { privateKey } : {}) },
        );
        if (ctx.globals.json) return ctx.printJson('finding-ack', f);
        ctx.print(`${f.id} [${f.type}] ${f.ref}: ${ackNote(f)}`);
      });
    });
}

/** "acknowledged by carol (signed) at 2025-…: INC-42 …" for the last ack; undefined when none. */
export function ackNote(f: Pick<FindingRecord, 'acks' | 'status'>): string | undefined {
  const a = f.acks?.at(-1);
  if (!a) return undefined;
  const who = `${a.by}${a.actorProof ? ' (signed)' : ''}`;
  return `${f.status === 'acknowledged' ? 'acknowledged' : 're-opened after ack'} by ${who} at ${a.at.slice(0, 19)}: ${a.reason}`;
}
