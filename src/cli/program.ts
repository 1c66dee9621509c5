import { Command, CommanderError } from 'commander';
import { safeText } from '../lib/safe-text.js';
import { setTableStyle, styleFor } from '../lib/table-style.js';
import { checkRequiredOptionsAfterArguments } from './argument-order.js';
import { commandWord, registerCommands } from './command-index.js';
import type { CliIo } from './context.js';
import { describeError, EXIT, errorJson, exitCodeFor } from './exit.js';
import { versionText } from './version.js';

/** `word`: the command to load (see command-index.ts); '*' loads every command module. */
export async function buildProgram(
  io: CliIo,
  word: string | undefined,
  /** Where commander's own error text goes (default stderr); runCli collects it under --json. */
  usageOut: (text: string) => void = (s) => void io.stderr.write(s),
): Promise<Command> {
  const program = new Command('nhi')
    .description(
      'nhi-reissue: owner-approved revoke-then-reissue recovery of non-human identity credentials, ' +
        'scans for dormant, re-enabled and orphaned identities, and a tamper-evident audit log.',
    )
    .option('-c, --config <file>', 'config file (default: $NHI_CONFIG or ./nhi.config.json)')
    .option('--json', 'machine-readable JSON output on stdout')
    .option('-v, --verbose', 'more detail in errors and debug logs')
    // Not commander's .version(STRING): that would read package.json (and .git) on every start.
    .option('--version', 'output the version number (and the git commit it was built from)')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run "nhi --help" for usage)')
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: usageOut,
    })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 failure, 2 usage/config error, 3 refused by policy, 4 findings at or above --fail-on.\n' +
        'Docs: README.md and docs/ in the nhi-reissue repository.',
    );
  program.exitOverride();
  program.on('option:version', () => {
    io.stdout.write(`${versionText()}\n`);
    throw new CommanderError(0, 'commander.version', 'version printed');
  });
  await registerCommands(program, io, word);
  // Subcommands inherit error handling and output settings.
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  checkRequiredOptionsAfterArguments(program);
  return program;
}

/** Parse argv, run the command, map any error to an exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  // Under --json, commander's own usage errors become the JSON error object too (below).
  const usage: string[] = [];
  const program = await buildProgram(
    io,
    commandWord(argv),
    json ? (s) => void usage.push(s) : (s) => void io.stderr.write(s),
  );
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  // Tables fit and colour the terminal the output goes to; a report written with --out, and
  // what nhi serve writes on its schedules, is plain whatever the terminal.
  const toFile = argv.includes('--out') || commandWord(argv) === 'serve';
  setTableStyle(toFile || json ? { color: false } : styleFor(io.stdout, io.env));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    const code = program.getOptionValue('exitCode');
    return typeof code === 'number' ? code : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (unknown command/option, --help, --version).
      if (json && error.exitCode !== 0) io.stderr.write(`${JSON.stringify(errorJson(error))}\n`);
      else if (usage.length) io.stderr.write(usage.join(''));
      return exitCodeFor(error);
    }
    // An error may quote a provider's answer, a config value or a ref: shown terminal-safe.
    io.stderr.write(
      json ? `${JSON.stringify(errorJson(error))}\n` : `${safeText(describeError(error, verbose))}\n`,
    );
    return exitCodeFor(error);
  } finally {
    setTableStyle({ color: false });
  }
}
