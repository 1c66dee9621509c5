import type { Command } from 'commander';
import { writeKeyPair } from '../../audit/keys.js';
import { type CliIo, contextFor } from '../context.js';

export function registerKeygenCommand(program: Command, io: CliIo): void {
  program
    .command('keygen')
    .description(
      'write an Ed25519 key pair: PREFIX.key (private, mode 0600) and PREFIX.pub — for an owner or for audit signing',
    )
    .requiredOption('--out <prefix>', 'path prefix for the two files')
    .option('--force', 'overwrite existing files')
    .addHelpText(
      'after',
      '\nExamples:\n  nhi keygen --out keys/alice          # owner key: put keys/alice.pub in owners.principals.alice.publicKey\n' +
        '  nhi keygen --out keys/audit          # audit key: keys.auditSigning = "file:keys/audit.key"',
    )
    .action((opts: { out: string; force?: boolean }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      const result = writeKeyPair(opts.out, { force: opts.force ?? false });
      if (ctx.globals.json) ctx.printJson('keygen', result);
      else {
        ctx.print(`private key: ${result.privatePath} (mode 0600 — keep it secret)`);
        ctx.print(`public key:  ${result.publicPath}`);
        ctx.print(`key id:      ${result.keyId}`);
      }
    });
}
