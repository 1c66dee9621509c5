import type { Command } from 'commander';
import { classifyTier } from '../../approval/owners/tiers.js';
import { UsageError } from '../../lib/errors.js';
import { hasOwnKey } from '../../lib/own.js';
import { type CliIo, contextFor } from '../context.js';
import { versionedOpening } from '../json-output.js';

export function ageDays(iso: string | undefined, now: Date): string {
  if (!iso) return '-';
  const days = Math.floor((now.getTime() - Date.parse(iso)) / 86_400_000);
  return Number.isFinite(days) ? `${days}d` : '-';
}

export function registerInventoryCommand(program: Command, io: CliIo): void {
  program
    .command('inventory')
    .description(
      'list what the configured providers hold: ref, kind, state, owners, tier, last use (with confidence), age',
    )
    .option('-p, --provider <name...>', 'only these provider instances')
    .option(
      '--format <format>',
      'table | json (one document: {schemaVersion, identities: [...]}) | ndjson (one identity per line); --json is --format json',
      'table',
    )
    .addHelpText(
      'after',
      '\nBoth JSON forms are written as the providers are read: memory stays flat however large the estate.\n' +
        'Only the providers are read: no state store is opened (or created).\n' +
        '\nExamples:\n  nhi inventory\n  nhi inventory --provider aws-prod --json\n  nhi inventory --format ndjson | jq -c \'select(.tier == "privileged")\'',
    )
    .action(async (opts: { provider?: string[]; format: string }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      if (!['table', 'json', 'ndjson'].includes(opts.format))
        throw new UsageError(`--format must be table, json or ndjson (got ${opts.format})`);
      if (ctx.globals.json && cmd.getOptionValueSource('format') === 'cli' && opts.format !== 'json')
        throw new UsageError('--json is --format json: use one of them');
      const format = ctx.globals.json ? 'json' : opts.format;
      await ctx.withProviders(async (app) => {
        const names = opts.provider ?? app.providerNames();
        for (const n of names) {
          if (!hasOwnKey(app.config.providers, n))
            throw new UsageError(
              `unknown provider instance "${n}" (have: ${app.providerNames().join(', ')})`,
            );
        }
        const now = app.now();
        const rows: string[][] = [];
        let count = 0;
        // One document, written as it streams: the array is opened before the first identity.
        if (format === 'json') io.stdout.write(`${versionedOpening('inventory')}"identities":[`);
        for (const name of names) {
          const provider = await app.provider(name);
          for await (const rec of provider.inventory()) {
            const tier = classifyTier(rec, app.config.tiers);
            count++;
            const line = JSON.stringify({ ...rec, tier: tier.tier });
            if (format === 'json') io.stdout.write(`${count > 1 ? ',' : ''}\n${line}`);
            else if (format === 'ndjson') io.stdout.write(`${line}\n`);
            else {
              rows.push([
                rec.ref,
                rec.kind,
                rec.state,
                rec.owners.join(',') || '(none)',
                tier.tier,
                rec.lastUsedAt
                  ? `${rec.lastUsedAt.slice(0, 10)} (${rec.lastUsedConfidence})`
                  : `never/unknown (${rec.lastUsedConfidence})`,
                ageDays(rec.createdAt, now),
              ]);
              ctx.progress(`${name}: ${count} identities`);
            }
          }
        }
        if (format === 'json') io.stdout.write(`${count > 0 ? '\n' : ''}],"count":${count}}\n`);
        if (format === 'table') {
          // Loaded here, after the walk: display widths (string-width) are only a table's cost.
          const { renderTable } = await import('../../lib/text.js');
          ctx.progress('');
          ctx.printTable(renderTable(['REF', 'KIND', 'STATE', 'OWNERS', 'TIER', 'LAST USED', 'AGE'], rows));
          ctx.print(`${count} identities`);
        }
      });
    });
}
