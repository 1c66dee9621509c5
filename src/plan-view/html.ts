/**
 * The plan as HTML, for the approval page to come: a fragment (`<article>`) to embed, or a
 * self-contained document (inline CSS, no scripts, a CSP that allows none). Every value is
 * escaped by escapeHtml, which first makes invisible and bidi controls visible (\u202e), so a
 * name can neither inject markup nor reorder what an owner reads; the article is dir="ltr".
 */
import { escapeHtml as h } from '../scan/report/escape.js';
import { type PlanView, planTotals } from './model.js';
import { formatHold, quorumRule } from './wording.js';

/** The plan styles; the approval page serves them from its one stylesheet (no inline style under its CSP). */
export const PLAN_CSS = `
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d1d1f;background:#fff}
.nhi-plan h2{font-size:1.3rem}.nhi-plan h3{font-size:1.05rem;margin:1.5rem 0 .4rem}
.nhi-plan code,.nhi-plan pre{font-family:ui-monospace,monospace;word-break:break-all}
.nhi-plan table{border-collapse:collapse}.nhi-plan th,.nhi-plan td{border-bottom:1px solid #e5e5e5;padding:.3rem .5rem;text-align:left;vertical-align:top}
.nhi-plan .warning{background:#fdecea;border:1px solid #f5c2c0;padding:.5rem .8rem;border-radius:6px}
.nhi-plan ul.changes{list-style:none;padding-left:0}.nhi-plan .sign{font-family:ui-monospace,monospace;font-weight:700;margin-right:.4rem}
.nhi-plan .revoke{color:#a40e26}.nhi-plan .create{color:#116329}.nhi-plan .unreachable{color:#9a6700}
.nhi-plan pre{background:#f6f8fa;padding:.6rem .8rem;border-radius:6px;white-space:pre-wrap}
`;

const code = (value: unknown) => `<code>${h(value)}</code>`;
const names = (items: readonly string[], empty = '(none)') =>
  items.length ? items.map(h).join(', ') : empty;
const row = (label: string, valueHtml: string) =>
  `<tr><th scope="row">${h(label)}</th><td>${valueHtml}</td></tr>`;

/** The `<article>` fragment. */
export function renderPlanHtml(view: PlanView): string {
  const p = view.policy;
  const out: string[] = [`<article class="nhi-plan" dir="ltr">`];
  out.push(`<h2>Recovery plan for ${code(view.ref)}</h2>`);
  for (const w of view.warnings) out.push(`<p class="warning"><strong>Warning:</strong> ${h(w)}</p>`);
  if (view.request) {
    const r = view.request;
    out.push(
      `<section class="request"><h3>Request ${code(r.id)} (${h(r.status)})</h3><table>`,
      row('requested by', `${h(r.requester)}${r.requesterSigned ? ' (signed)' : ''}`),
      row('reason', h(r.reason)),
      row('ticket', r.ticket ? `${code(r.ticket)} (named in the reason)` : '(none named in the reason)'),
      row('filed', h(r.createdAt)),
      row('expires', `${h(r.expiresAt)} (unless approved by then)`),
      ...(r.planMatches
        ? []
        : [row('filed digest', `${code(r.planDigest)} <strong>does not match the stored plan</strong>`)]),
      `</table></section>`,
    );
  }
  out.push(
    `<section class="target"><table>`,
    row('runbook', `${code(view.runbook.id)}, order ${h(view.runbook.order)}: ${h(view.runbook.orderNote)}`),
    row(
      'provider',
      `${h(view.provider.type)} instance ${code(view.provider.instance)}, kind ${code(view.provider.credentialKind)}`,
    ),
    row(
      'target',
      `${h(view.target.state)}; current version id ${view.target.currentVersion === null ? '(none)' : code(view.target.currentVersion)}`,
    ),
    row('owners', names(view.target.owners, '(no registered owner: break-glass only)')),
    row('plan digest', `${code(view.digest ?? '(cannot be computed)')} (owners sign this)`),
    `</table></section>`,
  );
  const bg = p.breakGlass;
  out.push(
    `<section class="policy"><h3>Approval policy: ${h(p.tier)} tier${p.tierReason ? ` (${h(p.tierReason)})` : ''}, as signed in the plan</h3><table>`,
    row('quorum', `${quorumRule(p.quorum)}; not the requester`),
    row('hold', p.holdMinutes > 0 ? `${h(formatHold(p.holdMinutes))} after the last approval` : 'none'),
    row('approval expiry', `${p.approvalTtlHours} h after each approval`),
    row('executor', p.executorNotApprover ? 'must not be an approver' : 'may be an approver'),
    row(
      'break-glass',
      bg.allowed === null
        ? 'not stated here'
        : bg.allowed
          ? `allowed for ${names(bg.group)} (${names(bg.members)}): no approval or hold, mandatory reason, alerted, owners review afterwards`
          : 'not allowed (owners.breakGlass names nobody)',
    ),
    ...(p.alerts === null ? [] : [row('alerts', names(p.alerts))]),
    `</table></section>`,
  );
  out.push(`<section class="changes"><h3>Changes</h3><ul class="changes">`);
  for (const v of view.revoke.versions) {
    out.push(
      `<li class="revoke"><span class="sign">-</span>revoke version id ${code(v.versionId)}${v.current ? ' (current)' : ''}, mode ${h(view.revoke.mode ?? 'provider default')}` +
        `<br>state ${h(v.state)}${v.stateSource === 'plan' ? ' (when planned)' : ''}; labels ${names(v.labels)}; created ${v.createdAt ? h(v.createdAt) : '(not recorded in the plan)'}; fingerprint ${v.fingerprint ? code(v.fingerprint) : '(none: the provider did not fingerprint it)'}</li>`,
    );
  }
  if (!view.revoke.versions.length) out.push(`<li>(nothing to revoke)</li>`);
  const c = view.create;
  out.push(
    `<li class="create"><span class="sign">+</span>create ${h(c.what)}<br>generator ${h(c.generator)}` +
      (c.fields
        ? `<br>regenerate ${c.fields.regenerate.map((f) => `${h(f.name)}: ${h(f.generator)}`).join('; ') || '(none)'}; keep ${names(c.fields.keep)}`
        : '') +
      `<br>delivery ${h(c.delivery)}</li>`,
    `</ul></section>`,
  );
  if (view.derived.length) {
    out.push(`<section class="derived"><h3>Derived credentials</h3><ul>`);
    for (const d of view.derived)
      out.push(
        d.action === 'revoke'
          ? `<li class="revoke"><span class="sign">-</span>${code(d.kind)} revoked: ${h(d.detail)}</li>`
          : `<li class="unreachable"><span class="sign">!</span>${code(d.kind)} <strong>out of reach</strong>: ${h(d.detail)}</li>`,
      );
    out.push(`</ul></section>`);
  }
  if (view.limits.length) {
    out.push(`<section class="limits"><h3>Provider limits</h3><ul>`);
    for (const l of view.limits)
      out.push(
        `<li>${code(l.name)} ${l.current}/${l.limit}: ${h(l.detail)}` +
          (l.makeRoom.length
            ? `<br>make-room deletes version id(s) ${l.makeRoom.map(code).join(', ')} first`
            : '') +
          (l.fix ? `<br>fix first: ${h(l.fix)}` : '') +
          `</li>`,
      );
    out.push(`</ul></section>`);
  }
  out.push(`<section class="steps"><h3>Steps, in order</h3><ol>`);
  for (const s of view.steps)
    out.push(`<li>${code(s.id)}${s.sideEffect ? ' (changes the provider)' : ''}: ${h(s.does)}</li>`);
  out.push(`</ol></section>`);
  const owners = Object.keys(view.commands.approve);
  if (view.request && owners.length) {
    const cmds = [
      ...owners.map((o) => view.commands.approve[o] ?? ''),
      ...owners.map((o) => view.commands.deny[o] ?? ''),
    ];
    out.push(
      `<section class="commands"><h3>${view.request.reviewRequired ? 'Review the break-glass run (approve endorses, deny disputes)' : 'Decide (each owner, with their own key)'}</h3>`,
      `<pre><code>${cmds.map(h).join('\n')}</code></pre></section>`,
    );
  } else {
    out.push(`<p class="next">Next: ${code(view.commands.next)}</p>`);
  }
  out.push(`<p class="totals"><strong>${h(planTotals(view))}</strong></p>`, `</article>`);
  return out.join('\n');
}

/** A whole page around the fragment: no scripts, no external assets. */
export function renderPlanHtmlDocument(view: PlanView): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>nhi plan ${h(view.ref)}</title><style>${PLAN_CSS}</style></head><body>\n` +
    `${renderPlanHtml(view)}\n</body></html>\n`
  );
}
