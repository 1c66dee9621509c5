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

export function inboxPage(chrome: Omit<PageChrome, 'title'>, items: InboxItem[], now: Date): string {
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
    : '<p class="notice" id="inbox-empty">Nothing waits for your decision.</p>';
  return layout({ ...chrome, title: 'Inbox' }, `<h1>Requests you may decide</h1>${body}`);
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
