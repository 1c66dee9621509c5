/**
 * The Markdown report, shaped for a GitHub step summary or a PR comment: a status line, a
 * short severity table (with the recent trend), then collapsible <details> per severity
 * holding the findings. GitHub needs a blank line after </summary> for Markdown inside
 * <details> to render. Provider text goes through escape.ts (plain text or code spans).
 */
import { SEVERITIES } from '../../config/schema.js';
import { markdownCode as code, escapeMarkdownCell as md, type ReportSink } from './escape.js';
import type { ReportFinding, ReportHeader, ReportSource } from './model.js';
import { toolInfo } from './tool.js';

/** How many recent scans the summary table shows per severity ("3 → 4 → 5"). */
const TREND_COLUMNS = 6;
/** Severities whose details start expanded: what a reviewer must see without a click. */
const EXPANDED = new Set(['critical', 'high']);

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |\n`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function summaryLines(h: ReportHeader): string {
  const f = h.summary.findings;
  const providers = h.scan.providers.map((p) => code(p, { inTable: false })).join(', ') || 'none';
  return (
    `**${plural(f.open, 'open finding')}** · ${f.opened} new · ${f.changed} severity changed · ` +
    `${f.resolved} resolved${f.acknowledged > 0 ? ` · ${f.acknowledged} acknowledged` : ''}\n\n` +
    `Scan ${code(h.scan.id, { inTable: false })} **${md(h.scan.status)}** at ${md(h.scan.startedAt)}: ` +
    `${plural(h.summary.identities, 'identity', 'identities')} in ${providers}.\n\n`
  );
}

function severityTable(h: ReportHeader): string {
  const f = h.summary.findings;
  const trend = h.charts.trend.slice(-TREND_COLUMNS);
  const withTrend = trend.length > 1;
  let out = row(['severity', 'open', ...(withTrend ? [`last ${trend.length} scans`] : [])]);
  out += row(['---', '---:', ...(withTrend ? ['---'] : [])]);
  for (const s of [...SEVERITIES].reverse()) {
    const n = f.bySeverity[s] ?? 0;
    const counts = trend.map((p) => p.bySeverity[s] ?? 0).join(' → ');
    out += row([n > 0 ? `**${s}**` : s, String(n), ...(withTrend ? [counts] : [])]);
  }
  const types = Object.entries(f.byType).filter(([, n]) => n > 0);
  if (types.length > 0) out += `\nBy type: ${types.map(([t, n]) => `${md(t)} ${n}`).join(' · ')}\n`;
  return `${out}\n`;
}

/** Contacts with open findings, most severe first: who has to act. */
function ownerSection(h: ReportHeader): string {
  const owners = h.summary.byOwner;
  if (owners.length === 0) return '';
  let out = `<details><summary>By owner (${owners.length})</summary>\n\n`;
  out += row(['owner', 'open', 'by severity']) + row(['---', '---:', '---']);
  for (const o of owners) {
    const worst = [...SEVERITIES]
      .reverse()
      .filter((s) => (o.bySeverity[s] ?? 0) > 0)
      .map((s) => `${o.bySeverity[s]} ${s}`)
      .join(', ');
    out += row([o.owner ? code(o.owner) : '(no contact)', String(o.open), worst]);
  }
  return `${out}\n</details>\n\n`;
}

function bucketSection(h: ReportHeader): string {
  const providers = Object.entries(h.charts.providers);
  if (providers.length === 0) return '';
  let out = `<details><summary>Credential age and last use per provider</summary>\n\n`;
  out += row(['provider', 'measure', ...h.charts.ageBuckets.map(md)]);
  out += row(['---', '---', ...h.charts.ageBuckets.map(() => '---:')]);
  for (const [name, p] of providers) {
    out += row([code(name), 'age since rotation', ...p.age.map(String)]);
    out += row([code(name), 'since last use', ...p.lastUse.map(String)]);
  }
  const last = h.charts.lastUseBuckets.at(-1) ?? '';
  return `${out}\nThe last column is "${md(h.charts.ageBuckets.at(-1) ?? '')}" for age and "${md(last)}" for last use.\n\n</details>\n\n`;
}

const FINDING_HEAD = row(['ref', 'type', 'summary', 'contact', 'first seen']) + row(Array(5).fill('---'));

function findingRow(x: ReportFinding): string {
  return row([
    code(x.ref),
    md(x.type),
    `${x.isNew ? '**new** ' : ''}${md(x.summary)}`,
    x.owners.map((o) => code(o)).join(', ') || '—',
    md(x.firstSeen.slice(0, 10)),
  ]);
}

export async function renderMarkdown(report: ReportSource, write: ReportSink): Promise<number> {
  const h = report.header;
  const f = h.summary.findings;
  await write(`# nhi scan report\n\n${summaryLines(h)}`);
  for (const e of h.scan.errors)
    await write(
      `> [!WARNING]\n> Provider ${code(e.provider, { inTable: false })} failed: ${md(e.message)}\n\n`,
    );
  await write(severityTable(h) + ownerSection(h) + bucketSection(h));
  await write(`## Open findings\n\n`);
  // Findings arrive most severe first, open before acknowledged: one <details> per run of a group.
  let group: string | undefined;
  let n = 0;
  for await (const x of report.findings()) {
    const key = x.status === 'acknowledged' ? 'acknowledged' : x.severity;
    if (key !== group) {
      if (group !== undefined) await write(`\n</details>\n\n`);
      group = key;
      const count = key === 'acknowledged' ? f.acknowledged : (f.bySeverity[key] ?? 0);
      await write(
        `<details${EXPANDED.has(key) ? ' open' : ''}><summary><b>${md(key)}</b> (${count})</summary>\n\n${FINDING_HEAD}`,
      );
    }
    await write(findingRow(x));
    n++;
  }
  if (group !== undefined) await write(`\n</details>\n\n`);
  if (n === 0) await write(`No open findings.\n\n`);
  const tool = toolInfo();
  await write(
    `<sub>Report schema v${h.schemaVersion} · ${md(tool.name)} ${md(tool.version)} · generated ${md(h.generatedAt)}</sub>\n`,
  );
  return n;
}
