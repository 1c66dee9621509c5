import type { PasskeyRecord } from '../../store/passkey-types.js';
import { duration, h, layout, type PageChrome } from './layout.js';

export interface InboxItem {
  id: string;
  ref: string;
  tier: 'standard' | 'privileged';
  requester: string;
  status: string;
  createdAt: string;
  expiresAt: string;
  have: number;
  need: number;
  review: boolean;
  decidedByMe?: string;
}

/** An incident with targets of this principal: their share (the requests are listed on its page). */
export interface IncidentInboxItem {
  id: string;
  reason: string;
  requester: string;
  createdAt: string;
  expiresAt: string;
  /** Targets this principal owns, how many of them are privileged, and how many await their decision. */
  owned: number;
  privileged: number;
  toDecide: number;
  /** The owned targets by state (nhi incident status's states). */
  counts: Record<string, number>;
}

function incidentsSection(incidents: IncidentInboxItem[], now: Date): string {
  if (incidents.length === 0) return '';
  const rows = incidents.map((i) => {
    const states = Object.entries(i.counts)
      .map(([state, n]) => `${n} ${state}`)
      .join(', ');
    return `<tr data-incident="${h(i.id)}">
<td><a href="/incidents/${encodeURIComponent(i.id)}">${h(i.reason)}</a><br><small>${h(i.id)}</small></td>
<td>${i.owned} target${i.owned === 1 ? '' : 's'}${i.privileged ? `<br><span class="badge privileged">${i.privileged} privileged</span>` : ''}</td>
<td class="to-decide">${i.toDecide}</td>
<td class="states">${h(states)}</td>
<td>${h(i.requester)}</td>
<td>${h(duration(Date.parse(i.expiresAt) - now.getTime()))}</td></tr>`;
  });
  return `<h2>Incidents</h2>
<p>Each incident asks you to decide your whole share with one passkey signature; its requests are listed on the incident's page.</p>
<div class="table-wrap"><table class="list" id="incidents"><thead><tr><th>Incident</th><th>Your share</th><th>To decide</th><th>Status</th><th>Requested by</th><th>Expires in</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

export function inboxPage(
  chrome: Omit<PageChrome, 'title'>,
  items: InboxItem[],
  now: Date,
  incidents: IncidentInboxItem[] = [],
): string {
  const rows = items.map(
    (i) => `<tr data-request="${h(i.id)}">
<td><a href="/requests/${encodeURIComponent(i.id)}"><code class="wrap">${h(i.ref)}</code></a><br><small>${h(i.id)}</small></td>
<td><span class="badge ${i.tier}">${h(i.tier)}</span>${i.review ? ' <span class="badge">break-glass review</span>' : ''}</td>
<td>${h(i.requester)}</td>
<td>${h(duration(now.getTime() - Date.parse(i.createdAt)))}</td>
<td>${h(duration(Date.parse(i.expiresAt) - now.getTime()))}</td>
<td>${i.have} of ${i.need}${i.decidedByMe ? `<br><small>you: ${h(i.decidedByMe)}</small>` : ''}</td>
<td>${h(i.status)}</td></tr>`,
  );
  const body = items.length
    ? `<div class="table-wrap"><table class="list" id="inbox"><thead><tr><th>Identity</th><th>Tier</th><th>Requested by</th><th>Age</th><th>Expires in</th><th>Approvals</th><th>Status</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
    : incidents.length
      ? '<p id="inbox-empty">No single request waits for your decision.</p>'
      : '<p class="notice" id="inbox-empty">Nothing waits for your decision.</p>';
  return layout(
    { ...chrome, title: 'Inbox' },
    `<h1>Requests you may decide</h1>${incidentsSection(incidents, now)}${incidents.length ? '<h2>Requests</h2>' : ''}${body}`,
  );
}

export function passkeysPage(chrome: Omit<PageChrome, 'title'>, passkeys: PasskeyRecord[]): string {
  const rows = passkeys.map(
    (p) =>
      `<tr><td><code class="wrap">${h(p.credentialId)}</code></td><td>${h(p.status)}</td><td>${h(p.createdAt.slice(0, 19))}</td><td>${h(p.confirmedAt?.slice(0, 19) ?? '-')}</td></tr>`,
  );
  return layout(
    { ...chrome, title: 'Passkeys' },
    `<h1>Your passkeys</h1>
<p>You approve with a passkey. A new passkey is <strong>pending</strong> until you confirm it from a terminal with your registered key (<code>nhi passkey confirm</code>): signing in alone never makes an approver.</p>
${passkeys.length ? `<div class="table-wrap"><table class="list" id="passkeys"><thead><tr><th>Credential</th><th>Status</th><th>Registered</th><th>Confirmed</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>` : '<p id="no-passkeys">No passkey yet.</p>'}
<p><button type="button" id="enrol">Register a passkey</button></p>
<div id="enrol-result" hidden></div>`,
  );
}
