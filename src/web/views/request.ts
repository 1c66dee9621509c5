import type { QuorumState } from '../../approval/decisions/quorum.js';
import type { ApprovalRecord } from '../../store/types.js';
import { h, layout, type PageChrome } from './layout.js';

export interface RequestPageInput {
  requestId: string;
  ref: string;
  planDigest: string;
  tier: string;
  status: string;
  owners: string[];
  planHtml: string;
  approvals: ApprovalRecord[];
  quorum: QuorumState;
  /** Why this principal cannot decide here, if they cannot. */
  cannotDecide?: string;
  /** Set when the principal has no confirmed passkey. */
  noPasskey?: boolean;
  review: boolean;
}

function methodOf(a: ApprovalRecord): string {
  const m = (a.proof as { method?: unknown } | undefined)?.method;
  return m === 'webauthn' ? 'passkey' : m === 'ssh' ? 'OpenSSH key' : m === 'ed25519' ? 'nhi key' : 'unknown';
}

function approvalsSection(input: RequestPageInput): string {
  const q = input.quorum;
  const counted = new Set(q.counted.map((a) => a.id));
  const ignored = new Map(q.ignored.map((i) => [i.approvalId, i]));
  const rows = input.approvals.map((a) => {
    const why = ignored.get(a.id);
    const standing = counted.has(a.id)
      ? 'counts'
      : why
        ? `does not count: ${why.reason}`
        : a.decision === 'deny'
          ? 'denied'
          : a.purpose
            ? 'review'
            : 'superseded';
    return `<tr data-principal="${h(a.principal)}"><td>${h(a.principal)}</td><td>${h(a.decision)}</td><td>${h(methodOf(a))}</td><td>${h(a.createdAt.slice(0, 19))}</td><td>${h(a.expiresAt.slice(0, 19))}</td><td>${h(standing)}</td><td>${h(a.comment ?? '')}</td></tr>`;
  });
  const still = Math.max(0, q.need - q.counted.length);
  const remaining = input.owners.filter((o) => !q.approvers.includes(o));
  const needLine =
    q.denies.length > 0
      ? `Denied by ${q.denies.map((d) => d.principal).join(', ')}.`
      : still > 0
        ? `Still needed: ${still} more approval${still === 1 ? '' : 's'} from ${remaining.join(', ') || '(no other owner)'} (quorum ${q.need}).`
        : q.holdUntil
          ? `Quorum met (${q.counted.length} of ${q.need}); on hold until ${q.holdUntil.toISOString()}, then it may run.`
          : `Quorum met (${q.counted.length} of ${q.need}); it may run.`;
  return `<section id="approvals"><h2>Decisions so far</h2>
${rows.length ? `<div class="table-wrap"><table class="list"><thead><tr><th>Owner</th><th>Decision</th><th>Signed with</th><th>At</th><th>Until</th><th>Standing</th><th>Comment</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>` : '<p>No decision yet.</p>'}
<p class="notice" id="needed">${h(needLine)}</p></section>`;
}

/**
 * The decision form both pages share (the page script drives it: challenge, passkey, decide):
 * `data` are the digests the page showed, sent back with the challenge request.
 */
export function decisionForm(o: {
  base: string;
  data: Record<string, string>;
  title: string;
  introHtml: string;
  labels?: { approve: string; deny: string };
  cannotDecide?: string | undefined;
  noPasskey?: boolean | undefined;
}): string {
  if (o.cannotDecide) return `<p class="refusal" id="cannot-decide">${h(o.cannotDecide)}</p>`;
  if (o.noPasskey) {
    return `<p class="refusal" id="cannot-decide">You have no confirmed passkey. <a href="/passkeys">Register one</a>, then confirm it from a terminal with <code>nhi passkey confirm</code>.</p>`;
  }
  const data = Object.entries(o.data)
    .map(([k, v]) => ` data-${k}="${h(v)}"`)
    .join('');
  return `<section><h2>${h(o.title)}</h2>
<p>${o.introHtml}</p>
<div id="decide"${data} data-challenge-url="${o.base}/challenge" data-decide-url="${o.base}/decide">
<label for="comment">Reason (required to deny)</label>
<textarea id="comment" name="comment" rows="3" maxlength="2000"></textarea>
<div class="actions"><button type="button" class="approve" id="approve" data-decision="approve">${h(o.labels?.approve ?? 'Approve')}</button>
<button type="button" class="deny" id="deny" data-decision="deny">${h(o.labels?.deny ?? 'Deny')}</button></div>
</div>
<p id="result" role="status" hidden></p></section>`;
}

function decideSection(input: RequestPageInput): string {
  return decisionForm({
    base: `/requests/${encodeURIComponent(input.requestId)}`,
    data: { 'plan-digest': input.planDigest },
    title: input.review ? 'Your retrospective review' : 'Your decision',
    introHtml: `You sign plan <code class="wrap" id="plan-digest">${h(input.planDigest)}</code> with your passkey. If the plan changes, this page can no longer decide: reload it and review again.`,
    ...(input.review ? { labels: { approve: 'Endorse', deny: 'Dispute' } } : {}),
    cannotDecide: input.cannotDecide,
    noPasskey: input.noPasskey,
  });
}

export function requestPage(chrome: Omit<PageChrome, 'title'>, input: RequestPageInput): string {
  return layout(
    { ...chrome, title: `Request ${input.requestId}` },
    `<p><a href="/inbox">← Inbox</a></p>
<h1>Recovery of <code class="wrap">${h(input.ref)}</code></h1>
<p><span class="badge ${h(input.tier)}">${h(input.tier)}</span> <span class="badge" id="status">${h(input.status)}</span></p>
${input.planHtml}
${approvalsSection(input)}
${decideSection(input)}`,
  );
}
