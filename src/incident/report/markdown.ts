/** The incident report as Markdown: fit for a ticket, a PR comment or a CI step summary. */
import { escapeMarkdownCell, markdownCode } from '../../scan/report/escape.js';
import type { IncidentStatus } from '../status.js';
import { stateSummary, versionsText } from './summary.js';

export function renderIncidentMarkdown(status: IncidentStatus): string {
  const out: string[] = [
    `## Incident ${markdownCode(status.id, { inTable: false })}`,
    '',
    `${escapeMarkdownCell(status.reason)} — requested by ${escapeMarkdownCell(status.requester)} at ${status.createdAt}; digest ${markdownCode(status.digest, { inTable: false })}.`,
    '',
    `**${status.targets.length} target(s)**: ${stateSummary(status) || 'none'}.`,
    '',
    '| Ref | State | Approvers | Before | After | Derived cut off |',
    '|---|---|---|---|---|---|',
  ];
  for (const t of status.targets) {
    const v = versionsText(t);
    out.push(
      `| ${markdownCode(t.ref)} | ${t.state} | ${t.breakGlass ? 'break-glass' : escapeMarkdownCell(t.approvers.join(', ') || '-')} | ${markdownCode(v.before)} | ${markdownCode(v.after)} | ${t.derivedRevoked.length ? escapeMarkdownCell(t.derivedRevoked.map((d) => d.name).join(', ')) : '-'} |`,
    );
  }
  if (status.needsAttention.length) {
    out.push('', `### Needs attention (${status.needsAttention.length})`, '');
    for (const n of status.needsAttention)
      out.push(`- ${markdownCode(n.ref, { inTable: false })} (${n.state}): ${escapeMarkdownCell(n.next)}`);
  }
  if (status.unrecoverable.length) {
    out.push('', `<details><summary>Cannot recover (${status.unrecoverable.length})</summary>`, '');
    for (const u of status.unrecoverable)
      out.push(`- ${markdownCode(u.ref, { inTable: false })}: ${escapeMarkdownCell(u.reason)}`);
    out.push('', '</details>');
  }
  return `${out.join('\n')}\n`;
}
