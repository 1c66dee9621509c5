import type { Command } from 'commander';
import { configRelative, loadConfig } from '../../config/load.js';
import { loadRunbooksFrom, shippedRunbookDir } from '../../runbook/load.js';
import { type CliIo, contextFor, printWarning } from '../context.js';

export function registerConfigCommands(program: Command, io: CliIo): void {
  const config = program
    .command('config')
    .description('config check: validate the config file (see nhi config --help)');
  config
    .command('check')
    .description(
      'validate the config file; print every problem with its JSON path, what was expected and what was found',
    )
    .addHelpText('after', '\nExamples:\n  nhi config check\n  nhi config check --config config.example.json')
    .action((_opts, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      const cfg = loadConfig(ctx.configPath, io.env);
      // Runbooks are checked against this config as `nhi run` would load them: a hook or notify
      // target they name that the config lacks is exit 2 here, not a failure after revoke.
      const runbooks = loadRunbooksFrom(
        [shippedRunbookDir(), ...cfg.runbooks.dirs.map((d) => configRelative(cfg, d))],
        { config: cfg },
      );
      for (const w of cfg.warnings) printWarning(io, `${w.path}: ${w.message}`);
      const summary = {
        ok: true,
        config: cfg.sourcePath,
        providers: Object.fromEntries(Object.entries(cfg.providers).map(([n, p]) => [n, p.type])),
        principals: Object.keys(cfg.owners.principals).length,
        schedules: Object.keys(cfg.schedules).length,
        notify: Object.keys(cfg.notify).length,
        runbooks: [...runbooks.keys()].sort(),
        fromEnv: cfg.fromEnv,
        warnings: cfg.warnings.map((w) => ({ path: w.path, message: w.message })),
      };
      if (ctx.globals.json) ctx.printJson('config-check', summary);
      else {
        ctx.print(`config ok: ${cfg.sourcePath}`);
        ctx.print(
          `  providers: ${Object.entries(summary.providers)
            .map(([n, t]) => `${n} (${t})`)
            .join(', ')}`,
        );
        ctx.print(
          `  principals: ${summary.principals}, schedules: ${summary.schedules}, notify targets: ${summary.notify}, runbooks: ${summary.runbooks.length}`,
        );
        for (const d of cfg.fromEnv) ctx.print(`  ${d.path}: ${d.value} (from ${d.variable})`);
      }
    });
}
