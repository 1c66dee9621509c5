/** The incident report as one self-contained HTML page. */
import { escapeHtml } from '../../scan/report/escape.js';
import type { IncidentStatus } from '../status.js';
import { stateSummary, versionsText } from './summary.js';

export function renderIncidentHtml(status: IncidentStatus): string {
  const rows = status.targets
    .map((t) => {
      const v = versionsText(t);
      return `<tr class="${escapeHtml(t.state)}"><td><code>${escapeHtml(t.ref)}</code></td><td>${escapeHtml(t.state)}</td><td>${escapeHtml(t.tier)}</td><td>${t.breakGlass ? 'break-glass' : escapeHtml(t.approvers.join(', ') || '-')}</td><td><code>${escapeHtml(v.before)}</code></td><td><code>${escapeHtml(v.after)}</code></td><td>${escapeHtml(t.lineageId ?? '-')}</td></tr>`;
    })
    .join('\n');
  const attention = status.needsAttention
    .map((n) => `<li><code>${escapeHtml(n.ref)}</code> (${escapeHtml(n.state)}): ${escapeHtml(n.next)}</li>`)
    .join('\n');
  const unrecoverable = status.unrecoverable
    .map((u) => `<li><code>${escapeHtml(u.ref)}</code>: ${escapeHtml(u.reason)}</li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Incident ${escapeHtml(status.id)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
tr.completed td:nth-child(2){color:#1a7f37}tr.failed td:nth-child(2),tr.needs-attention td:nth-child(2){color:#cf222e;font-weight:bold}tr.awaiting-approval td:nth-child(2),tr.on-hold td:nth-child(2){color:#9a6700}</style>
</head><body>
<h1>Incident <code>${escapeHtml(status.id)}</code></h1>
<p>${escapeHtml(status.reason)} — requested by ${escapeHtml(status.requester)} at ${escapeHtml(status.createdAt)}; digest <code>${escapeHtml(status.digest)}</code></p>
<p><strong>${status.targets.length} target(s)</strong>: ${escapeHtml(stateSummary(status) || 'none')}</p>
<table><thead><tr><th>Ref</th><th>State</th><th>Tier</th><th>Approvers</th><th>Before</th><th>After</th><th>Lineage</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${attention ? `<h2>Needs attention</h2><ul>${attention}</ul>` : ''}
${unrecoverable ? `<h2>Cannot recover</h2><ul>${unrecoverable}</ul>` : ''}
</body></html>
`;
}
