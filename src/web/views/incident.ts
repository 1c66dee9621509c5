import type { IncidentRecord } from '../../store/incident-types.js';
import { h, layout, type PageChrome } from './layout.js';
import { decisionForm } from './request.js';

/** One target of the owner's share, with its readable plan (the request page's renderer). */
export interface ShareTarget {
  requestId: string;
  ref: string;
  tier: string;
  status: string;
  planDigest: string;
  quorum: { have: number; need: number };
  planHtml: string;
}

export interface IncidentPageInput {
  incident: IncidentRecord;
  /** The share, in the order it is signed (by request id). */
  targets: ShareTarget[];
  /** This owner's targets not in the share, and why. */
  skipped: { requestId: string; ref: string; why: string }[];
  /** How many targets belong to other owners only (not shown). */
  others: number;
  /** The Merkle root of the share as shown: a challenge for another share is refused. */
  shareRoot?: string;
  cannotDecide?: string;
  noPasskey?: boolean;
}

function header(i: IncidentRecord): string {
  const row = (label: string, value: string) => `<tr><th scope="row">${h(label)}</th><td>${value}</td></tr>`;
  return `<table class="list" id="incident-facts">
${row('reason', h(i.reason))}
${row('requested by', h(i.requester))}
${row('filed', h(i.createdAt))}
${row('expires', `${h(i.expiresAt)} (every target not run by then)`)}
${row('incident digest', `<code class="wrap" id="incident-digest">${h(i.digest)}</code>`)}
${row('targets', `${i.requests.length} (${i.exclusions.length} excluded)`)}
</table>`;
}

function shareSection(input: IncidentPageInput): string {
  const privileged = input.targets.filter((t) => t.tier === 'privileged').length;
  const items = input.targets.map(
    (t) => `<details class="target" data-request="${h(t.requestId)}">
<summary><code class="wrap">${h(t.ref)}</code> <span class="badge ${h(t.tier)}">${h(t.tier)}</span> <span class="badge">${h(t.status)}</span> <small>approvals ${t.quorum.have} of ${t.quorum.need} · <a href="/requests/${encodeURIComponent(t.requestId)}">${h(t.requestId)}</a></small></summary>
${t.planHtml}
</details>`,
  );
  return `<section id="share"><h2>Your share: ${input.targets.length} target${input.targets.length === 1 ? '' : 's'}${privileged ? ` (${privileged} privileged)` : ''}</h2>
${items.length ? `<p>Open a target to read its plan. Privileged targets keep their quorum and hold: your approval counts once on each.</p>${items.join('\n')}` : '<p id="share-empty">Nothing awaits your decision.</p>'}
</section>`;
}

function skippedSection(input: IncidentPageInput): string {
  const rows = input.skipped.map(
    (s) =>
      `<tr data-request="${h(s.requestId)}"><td><a href="/requests/${encodeURIComponent(s.requestId)}"><code class="wrap">${h(s.ref)}</code></a></td><td>${h(s.why)}</td></tr>`,
  );
  const others = input.others
    ? `<p id="others">${input.others} other target${input.others === 1 ? '' : 's'} of this incident belong${input.others === 1 ? 's' : ''} to other owners.</p>`
    : '';
  if (!rows.length) return others;
  return `<section id="skipped"><h2>Your targets not in this decision</h2>
<div class="table-wrap"><table class="list"><thead><tr><th>Identity</th><th>Why</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>
${others}</section>`;
}

export function incidentPage(chrome: Omit<PageChrome, 'title'>, input: IncidentPageInput): string {
  const { incident } = input;
  const n = input.targets.length;
  return layout(
    { ...chrome, title: `Incident ${incident.id}` },
    `<p><a href="/inbox">← Inbox</a></p>
<h1>Incident <code class="wrap">${h(incident.id)}</code></h1>
${header(incident)}
${shareSection(input)}
${skippedSection(input)}
${decisionForm({
  base: `/incidents/${encodeURIComponent(incident.id)}`,
  data: { 'incident-digest': incident.digest, 'share-root': input.shareRoot ?? '' },
  title: 'Your decision on your share',
  introHtml: `One passkey signature decides all ${n} target${n === 1 ? '' : 's'} above, and nothing else: it covers incident digest <code class="wrap">${h(incident.digest)}</code> and the plan of each of them. If your share changes, this page can no longer decide: reload it and review again.`,
  labels: { approve: `Approve all ${n}`, deny: `Deny all ${n}` },
  cannotDecide: input.cannotDecide,
  noPasskey: input.noPasskey,
})}`,
  );
}
