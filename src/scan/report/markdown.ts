/** The Markdown report: summary, per-provider buckets, and the findings table. */
import { escapeMarkdownCell as md, type ReportSink } from './escape.js';
import type { ReportSource } from './model.js';

const row = (cells: readonly unknown[]) => `| ${cells.map(md).join(' | ')} |\n`;
const rule = (n: number) => `|${' --- |'.repeat(n)}\n`;

export async function renderMarkdown(report: ReportSource, write: ReportSink): Promise<number> {
  const h = report.header;
  const f = h.summary.findings;
  await write(`# nhi scan report\n\n`);
  await write(
    `Scan \`${md(h.scan.id)}\` — status **${md(h.scan.status)}**, started ${md(h.scan.startedAt)}, ` +
      `${h.summary.identities} identities across ${h.scan.providers.length} provider instance(s).\n\n`,
  );
  for (const e of h.scan.errors) await write(`> **Provider error** ${md(e.provider)}: ${md(e.message)}\n\n`);
  await write(`## Summary\n\n`);
  await write(row(['open findings', 'new', 'severity changed', 'resolved', ...Object.keys(f.bySeverity)]));
  await write(rule(4 + Object.keys(f.bySeverity).length));
  await write(row([f.open, f.opened, f.changed, f.resolved, ...Object.values(f.bySeverity)]));
  await write(
    `\nBy type: ${Object.entries(f.byType)
      .map(([t, n]) => `${md(t)} ${n}`)
      .join(', ')}\n\n`,
  );
  await write(`## Credential age and last use per provider\n\n`);
  await write(row(['provider', 'measure', ...h.charts.ageBuckets]));
  await write(rule(2 + h.charts.ageBuckets.length));
  for (const [name, p] of Object.entries(h.charts.providers)) {
    await write(row([name, 'age since rotation', ...p.age]));
    await write(row([name, 'since last use', ...p.lastUse]));
  }
  await write(`\n(last-use columns: ${h.charts.lastUseBuckets.map(md).join(', ')})\n\n## Open findings\n\n`);
  await write(row(['severity', 'type', 'ref', 'summary', 'owners', 'first seen', 'last seen', 'new']));
  await write(rule(8));
  let n = 0;
  for await (const x of report.findings()) {
    await write(
      row([
        x.severity,
        x.type,
        x.ref,
        x.summary,
        x.owners.join(', ') || '-',
        x.firstSeen,
        x.lastSeen,
        x.isNew ? 'yes' : '',
      ]),
    );
    n++;
  }
  if (n === 0) await write(`\nNo open findings.\n`);
  return n;
}
