import type { Command } from 'commander';
import { NotImplementedError } from '../../lib/errors.js';
import type { CliIo } from '../context.js';

const notYet = (what: string) => () => {
  throw new NotImplementedError(what);
};

export function registerScanCommands(program: Command, _io: CliIo): void {
  program
    .command('scan')
    .description(
      'walk every provider, store snapshots, compute findings (dormant, reenabled, orphaned, long-lived, ...)',
    )
    .option('-p, --provider <name...>', 'only these provider instances')
    .option('--format <format>', 'table | json | markdown | html', 'table')
    .option('--out <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', 'exit 4 when a finding at or above this severity is open')
    .addHelpText(
      'after',
      '\nExamples:\n  nhi scan\n  nhi scan --format html --out report.html --fail-on high',
    )
    .action(notYet('nhi scan'));
  program
    .command('findings')
    .description('list findings with first seen / last seen / resolved, and failed alert deliveries')
    .option('--type <type>', 'only this finding type')
    .option('--open', 'only open findings')
    .addHelpText('after', '\nExample:\n  nhi findings --type dormant --open --json')
    .action(notYet('nhi findings'));
  program
    .command('serve')
    .description(
      'run the configured cron schedules (single-flight, catch-up on start); SIGTERM stops cleanly',
    )
    .addHelpText('after', '\nExample:\n  nhi serve --config /etc/nhi/nhi.config.json')
    .action(notYet('nhi serve'));
}
