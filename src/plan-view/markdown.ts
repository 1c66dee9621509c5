/**
 * The plan for chat and tickets. Prose goes through escapeMarkdownCell (HTML entities and
 * Markdown punctuation escaped: most renderers pass raw HTML through); ids and commands go in
 * code spans and fences longer than any backtick run inside them, so no value can close them.
 * safeLine first, everywhere: invisible and bidi controls are shown as \u escapes.
 */
import { safeLine } from '../lib/safe-text.js';
import { type PlanView, planTotals } from './model.js';
import { formatHold, quorumRule } from './wording.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Prose for Markdown and chat: controls made visible, `& < >` as entities (most renderers pass
 * raw HTML through; chat apps decode these three), Markdown punctuation backslash-escaped.
 * Quotes stay as they are: outside an attribute they are harmless, and chat shows entities raw.
 */
export function md(text: unknown): string {
  return safeLine(String(text ?? ''))
    .replace(/[&<>]/g, (c) => ENTITIES[c] ?? c)
    .replace(/([\\`*_[\]|~])/g, '\\$1');
}

/** Inline code that no backtick in `text` can end early. */
export function mdCode(text: unknown): string {
  const s = safeLine(String(text ?? ''));
  const longest = Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') || s.startsWith(' ') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** A fenced block (one safe line per entry) whose fence is longer than any backtick run inside. */
export function mdBlock(lang: string, lines: readonly string[]): string {
  const safe = lines.map((l) => safeLine(l));
  const longest = Math.max(2, ...safe.flatMap((l) => [...l.matchAll(/`+/g)].map((m) => m[0].length)));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${safe.join('\n')}\n${fence}`;
}

const names = (items: readonly string[], empty = '(none)') =>
  items.length ? items.map(md).join(', ') : empty;

export function renderPlanMarkdown(view: PlanView): string {
  const out: string[] = [];
  const p = view.policy;
  out.push(`### Recovery plan for ${mdCode(view.ref)}`, '');
  for (const w of view.warnings) out.push(`> **WARNING:** ${md(w)}`, '');
  if (view.request) {
    const r = view.request;
    out.push(
      `**Request** ${mdCode(r.id)} (${md(r.status)}) by **${md(r.requester)}**${r.requesterSigned ? ' (signed)' : ''}: ${md(r.reason)}`,
      '',
      `- ticket: ${r.ticket ? `${mdCode(r.ticket)} (named in the reason)` : '(none named in the reason)'}`,
      `- filed ${md(r.createdAt)}; expires ${md(r.expiresAt)} unless approved by then`,
      ...(r.planMatches
        ? []
        : [`- filed digest ${mdCode(r.planDigest)} — **does not match the stored plan**`]),
      '',
    );
  }
  out.push(
    `- runbook ${mdCode(view.runbook.id)}, order ${md(view.runbook.order)}: ${md(view.runbook.orderNote)}`,
    `- provider ${md(view.provider.type)} instance ${mdCode(view.provider.instance)}, kind ${mdCode(view.provider.credentialKind)}`,
    `- target ${md(view.target.state)}; current version id ${view.target.currentVersion === null ? '(none)' : mdCode(view.target.currentVersion)}`,
    `- owners: ${names(view.target.owners, '(no registered owner: break-glass only)')}`,
    `- plan digest ${mdCode(view.digest ?? '(cannot be computed)')} (owners sign this)`,
    '',
  );
  out.push(
    `#### Approval policy: ${md(p.tier)} tier${p.tierReason ? ` (${md(p.tierReason)})` : ''}, as signed in the plan`,
    '',
    '| rule | applies |',
    '| --- | --- |',
    `| quorum | ${quorumRule(p.quorum)}; not the requester |`,
    `| hold | ${p.holdMinutes > 0 ? `${formatHold(p.holdMinutes)} after the last approval` : 'none'} |`,
    `| approval expiry | ${p.approvalTtlHours} h after each approval |`,
    `| executor | ${p.executorNotApprover ? 'must not be an approver' : 'may be an approver'} |`,
    `| break-glass | ${breakGlass(view)} |`,
    ...(p.alerts === null ? [] : [`| alerts | ${names(p.alerts)} |`]),
    '',
  );
  out.push('#### Changes', '', mdBlock('diff', changeLines(view)), '');
  if (view.derived.length) {
    out.push('#### Derived credentials', '');
    for (const d of view.derived)
      out.push(
        `- ${d.action === 'revoke' ? 'revoked' : '**out of reach**'}: ${mdCode(d.kind)} — ${md(d.detail)}`,
      );
    out.push('');
  }
  if (view.limits.length) {
    out.push('#### Provider limits', '');
    for (const l of view.limits) {
      out.push(`- ${mdCode(l.name)} ${l.current}/${l.limit}: ${md(l.detail)}`);
      if (l.makeRoom.length)
        out.push(`  - make-room deletes version id(s) ${l.makeRoom.map(mdCode).join(', ')} first`);
      if (l.fix) out.push(`  - fix first: ${md(l.fix)}`);
    }
    out.push('');
  }
  out.push('#### Steps, in order', '');
  for (const s of view.steps)
    out.push(`${s.n}. ${mdCode(s.id)}${s.sideEffect ? ' (changes the provider)' : ''} — ${md(s.does)}`);
  out.push('');
  const owners = Object.keys(view.commands.approve);
  if (view.request && owners.length) {
    out.push(
      view.request.reviewRequired
        ? '#### Review the break-glass run (approve endorses, deny disputes)'
        : '#### Decide (each owner, with their own key)',
      '',
      mdBlock('sh', [
        ...owners.map((o) => view.commands.approve[o] ?? ''),
        ...owners.map((o) => view.commands.deny[o] ?? ''),
      ]),
      '',
      `Inspect: ${mdCode(view.commands.next)}`,
      '',
    );
  } else {
    out.push(`Next: ${mdCode(view.commands.next)}`, '');
  }
  out.push(`**${md(planTotals(view))}**`);
  return out.join('\n');
}

function breakGlass(view: PlanView): string {
  const bg = view.policy.breakGlass;
  if (bg.allowed === null) return 'not stated here';
  if (!bg.allowed) return 'not allowed (owners.breakGlass names nobody)';
  return `allowed for ${names(bg.group)} (${names(bg.members)}): no approval or hold, mandatory reason, alerted, owners review afterwards`;
}

/** The `-` / `+` lines, terraform style, for a diff block (plain text: a fence shows it verbatim). */
export function changeLines(view: PlanView): string[] {
  const lines: string[] = [];
  for (const v of view.revoke.versions) {
    lines.push(
      `- revoke version id ${v.versionId}${v.current ? ' (current)' : ''}, mode ${view.revoke.mode ?? 'provider default'}`,
      `-   state ${v.state}${v.stateSource === 'plan' ? ' (when planned)' : ''}; labels ${v.labels.join(', ') || '(none)'}; created ${v.createdAt ?? '(not recorded in the plan)'}`,
      `-   fingerprint ${v.fingerprint ?? '(none: the provider did not fingerprint it)'}`,
    );
  }
  if (!view.revoke.versions.length) lines.push('  (nothing to revoke)');
  for (const l of view.limits)
    for (const id of l.makeRoom) lines.push(`- make-room: delete version id ${id} (already unusable)`);
  for (const d of view.derived)
    lines.push(d.action === 'revoke' ? `- derived ${d.kind}: revoked` : `! derived ${d.kind}: out of reach`);
  const c = view.create;
  lines.push(`+ create ${c.what}`, `+   generator ${c.generator}`);
  if (c.fields) {
    lines.push(
      `+   regenerate ${c.fields.regenerate.map((f) => `${f.name}: ${f.generator}`).join('; ') || '(none)'}`,
      `+   keep ${c.fields.keep.join(', ') || '(none)'}`,
    );
  }
  lines.push(`+   delivery ${c.delivery}`);
  return lines;
}
