import type { Command } from 'commander';
import { NotImplementedError } from '../../lib/errors.js';
import type { CliIo } from '../context.js';

export function registerApprovalCommands(program: Command, _io: CliIo): void {
  for (const decision of ['approve', 'deny'] as const) {
    program
      .command(decision)
      .description(`${decision} a request: sign (requestId, planDigest, decision, expiresAt) with your Ed25519 key`)
      .argument('<request-id>', 'request id')
      .requiredOption('--as <principal>', 'owner principal deciding')
      .requiredOption('--key <file>', 'your private key file (from nhi keygen)')
      .option('--comment <text>', 'comment recorded with the decision')
      .addHelpText('after', `\nExample:\n  nhi ${decision} req_01H... --as alice --key ~/.nhi/alice.key`)
      .action(() => {
        throw new NotImplementedError(`nhi ${decision}`);
      });
  }
}
