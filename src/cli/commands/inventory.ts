import type { Command } from 'commander';
import { classifyTier } from '../../approval/owners/tiers.js';
import { UsageError } from '../../lib/errors.js';
import { hasOwnKey } from '../../lib/own.js';
import { renderTable } from '../../lib/text.js';
import { type CliIo, contextFor } from '../context.js';

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
    .addHelpText('after', '\nExamples:\n  nhi inventory\n  nhi inventory --provider aws-prod --json')
    .action(async (opts: { provider?: string[] }, cmd: Command) => {
      const ctx = contextFor(cmd, io);
      await ctx.withApp(async (app) => {
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
        for (const name of names) {
          const provider = await app.provider(name);
          for await (const rec of provider.inventory()) {
            const tier = classifyTier(rec, app.config.tiers);
            count++;
            if (ctx.globals.json) {
              // JSON lines stream: memory stays flat however large the estate is.
              io.stdout.write(`${JSON.stringify({ ...rec, tier: tier.tier })}\n`);
            } else {
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
        if (!ctx.globals.json) {
          ctx.progress('');
          ctx.print(renderTable(['REF', 'KIND', 'STATE', 'OWNERS', 'TIER', 'LAST USED', 'AGE'], rows));
          ctx.print(`${count} identities`);
        }
      });
    });
}
