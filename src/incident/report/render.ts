/** `nhi incident status --format table|json|markdown|html`: one status model, four renderings. */
import { UsageError } from '../../lib/errors.js';
import { safeLine } from '../../lib/safe-text.js';
import { renderTable } from '../../lib/text.js';
import type { IncidentStatus } from '../status.js';
import { renderIncidentHtml } from './html.js';
import { renderIncidentMarkdown } from './markdown.js';
import { stateSummary, versionsText } from './summary.js';

export { stateSummary } from './summary.js';

export const INCIDENT_FORMATS = ['table', 'json', 'markdown', 'html'] as const;
export type IncidentFormat = (typeof INCIDENT_FORMATS)[number];

export function parseIncidentFormat(text: string): IncidentFormat {
  if ((INCIDENT_FORMATS as readonly string[]).includes(text)) return text as IncidentFormat;
  throw new UsageError(`--format must be one of ${INCIDENT_FORMATS.join(', ')} (got ${text})`);
}

export function renderIncidentStatus(status: IncidentStatus, format: IncidentFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(status, null, 2)}\n`;
    case 'markdown':
      return renderIncidentMarkdown(status);
    case 'html':
      return renderIncidentHtml(status);
    case 'table':
      return renderIncidentTable(status);
  }
}

function renderIncidentTable(status: IncidentStatus): string {
  // Printed as is (the tables' colours kept): the lines around the tables are made safe here,
  // as renderTable makes its cells (a reason or a selector is whatever the requester typed).
  const lines = [
    safeLine(
      `incident ${status.id}: ${status.reason} (requested by ${status.requester}, ${status.createdAt})`,
    ),
    safeLine(
      `digest ${status.digest}; expires ${status.expiresAt}; selection ${status.selectors.join(' | ') || '-'}${status.valueMatch ? ' + leaked value' : ''}`,
    ),
    `${status.targets.length} target(s): ${stateSummary(status) || 'none'}`,
    '',
    renderTable(
      ['REF', 'STATE', 'TIER', 'APPROVERS', 'BEFORE', 'AFTER', 'RUN'],
      status.targets.map((t) => {
        const v = versionsText(t);
        return [
          t.ref,
          t.state,
          t.tier,
          t.breakGlass
            ? 'break-glass'
            : `${t.approvers.join(',') || '-'} (${t.quorum.have}/${t.quorum.need})`,
          v.before,
          v.after,
          t.runId ?? '-',
        ];
      }),
    ),
  ];
  if (status.unrecoverable.length) {
    lines.push('', `cannot recover ${status.unrecoverable.length}:`);
    lines.push(
      renderTable(
        ['REF', 'WHY'],
        status.unrecoverable.map((u) => [u.ref, u.reason]),
      ),
    );
  }
  if (status.needsAttention.length) {
    lines.push('', `needs attention ${status.needsAttention.length}:`);
    for (const n of status.needsAttention) lines.push(safeLine(`  ${n.ref} (${n.state}): ${n.next}`));
  }
  return `${lines.join('\n')}\n`;
}
