import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { NhiError } from '../../lib/errors.js';
import { migrateState, type SchemaStatus } from '../../store/migrate.js';
import { type CliIo, contextFor } from '../context.js';
import { EXIT } from '../exit.js';

export function registerDbCommands(program: Command, io: CliIo): void {
  const db = program
    .command('db')
    .description("db migrate: bring the state store (SQLite file or PostgreSQL) to this nhi's schema");
  db.command('migrate')
    .description(
      'apply pending schema migrations to the configured state store (under a lock: instances starting together apply each once); --check only reports',
    )
    .option('--check', 'change nothing; exit 1 when migrations are pending')
    .addHelpText(
      'after',
      '\nEvery nhi command also migrates on open; run this as the deploy step before new instances start.\n\n' +
        'Examples:\n  nhi db migrate\n  nhi db migrate --check --json',
    )
    .action(async (opts: { check?: boolean }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      const config = loadConfig(ctx.configPath, io.env);
      const status = await migrateState(config, { check: opts.check ?? false });
      if (status.from > status.latest) {
        throw new NhiError(
          'store',
          `state store ${status.where} is at schema v${status.from}, newer than this nhi (v${status.latest}); upgrade nhi`,
        );
      }
      const pending = status.latest - status.to;
      if (ctx.globals.json) ctx.printJson('db-migrate', { ...status, current: pending === 0 });
      else ctx.print(describe(status, pending));
      if (opts.check && pending > 0) program.setOptionValue('exitCode', EXIT.failure);
    });
}

function describe(s: SchemaStatus, pending: number): string {
  const store = `state store ${s.where} (${s.driver})`;
  if (pending > 0) return `${store}: schema v${s.to}, this nhi needs v${s.latest} (run nhi db migrate)`;
  if (s.applied.length === 0) return `${store}: schema v${s.to} is current`;
  return `${store}: schema v${s.from} -> v${s.to} (applied ${s.applied.map((v) => `v${v}`).join(', ')})`;
}
