import type { Command } from 'commander';
import { NotImplementedError } from '../../lib/errors.js';
import type { CliIo } from '../context.js';

const notYet = (what: string) => () => {
  throw new NotImplementedError(what);
};

export function registerRecoveryCommands(program: Command, _io: CliIo): void {
  program
    .command('plan')
    .description('dry run: resolve a ref and a runbook against the live provider into a plan and its digest; changes nothing')
    .argument('<ref>', 'identity ref <provider-instance>:<kind>:<locator>')
    .requiredOption('--runbook <id>', 'runbook id (see runbooks/)')
    .addHelpText('after', '\nExample:\n  nhi plan aws-prod:secret:payments/db --runbook aws-secret-recovery')
    .action(notYet('nhi plan'));
  program
    .command('request')
    .description('file a recovery request: stores the plan and its digest and notifies the owners')
    .argument('<ref>', 'identity ref')
    .requiredOption('--runbook <id>', 'runbook id')
    .requiredOption('--reason <text>', 'why (incident id, what leaked)')
    .requiredOption('--as <principal>', 'who is asking')
    .addHelpText(
      'after',
      '\nExample:\n  nhi request aws-prod:secret:payments/db --runbook aws-secret-recovery --reason "INC-42 leaked in CI log" --as carol',
    )
    .action(notYet('nhi request'));
  program
    .command('run')
    .description('execute an approved request (revoke, reissue, verify, record lineage)')
    .argument('<request-id>', 'request id')
    .requiredOption('--as <principal>', 'who executes')
    .option('--break-glass', 'skip approval and hold (break-glass group only); audited and alerted')
    .option('--reason <text>', 'mandatory with --break-glass')
    .addHelpText('after', '\nExamples:\n  nhi run req_01H... --as dave\n  nhi run req_01H... --as sec-oncall --break-glass --reason "active exfiltration"')
    .action(notYet('nhi run'));
  program
    .command('resume')
    .description('continue an interrupted run from its last committed step (asks the provider what already happened)')
    .argument('<run-id>', 'run id')
    .addHelpText('after', '\nExample:\n  nhi resume run_01H...')
    .action(notYet('nhi resume'));
  program
    .command('status')
    .description('show requests and runs (all, or one by id), approvals, holds, break-glass reviews, failed deliveries')
    .argument('[id]', 'request or run id')
    .addHelpText('after', '\nExamples:\n  nhi status\n  nhi status req_01H...')
    .action(notYet('nhi status'));
  program
    .command('lineage')
    .description('every recovery of one identity: old -> new credential, who asked, approved, executed, with what proof')
    .argument('<ref>', 'identity ref')
    .option('--format <format>', 'table | json | mermaid', 'table')
    .addHelpText('after', '\nExample:\n  nhi lineage aws-prod:secret:payments/db --format mermaid')
    .action(notYet('nhi lineage'));
}
