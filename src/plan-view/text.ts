/**
 * The plan for a terminal, read like `terraform plan`: `-` what loses access, `+` what is
 * created, then derived credentials, limits, steps and the commands to decide. Every value
 * from a provider, the store or the config goes through safeLine, so a name cannot move the
 * cursor, reorder the line (bidi) or fake a line of its own.
 */
import { safeLine } from '../lib/safe-text.js';
import { type PlanView, planTotals } from './model.js';
import { formatHold, quorumRule } from './wording.js';

const t = (value: unknown) => safeLine(String(value ?? ''));
const list = (items: readonly string[], empty = '(none)') => (items.length ? items.map(t).join(', ') : empty);
const field = (label: string, value: string, indent = '  ') => `${indent}${label.padEnd(12)} ${value}`;

export function renderPlanText(view: PlanView): string {
  const out: string[] = [];
  out.push(`Recovery plan for ${t(view.ref)}`);
  out.push(field('runbook', `${t(view.runbook.id)}, order ${view.runbook.order}`));
  out.push(field('', view.runbook.orderNote));
  out.push(
    field(
      'provider',
      `${t(view.provider.type)} instance ${t(view.provider.instance)}, kind ${t(view.provider.credentialKind)}`,
    ),
  );
  out.push(
    field(
      'target',
      `${t(view.target.state)}; current version id ${view.target.currentVersion === null ? '(none)' : t(view.target.currentVersion)}`,
    ),
  );
  out.push(field('owners', list(view.target.owners, '(no registered owner)')));
  out.push(field('plan digest', `${t(view.digest ?? '(cannot be computed)')} (owners sign this)`));
  for (const w of view.warnings) out.push(`  WARNING: ${t(w)}`);
  if (view.request) out.push('', ...requestLines(view));
  out.push('', ...policyLines(view));
  out.push('', ...changeLines(view));
  if (view.derived.length) {
    out.push('', 'Derived credentials (what the old one minted, or where its value lives):');
    for (const d of view.derived)
      out.push(`  ${d.action === 'revoke' ? '-' : '!'} ${t(d.kind)} [${d.action}]`, `        ${t(d.detail)}`);
  }
  if (view.limits.length) {
    out.push('', 'Provider limits:');
    for (const l of view.limits) {
      out.push(`  limit ${t(l.name)} (${l.current}/${l.limit}): ${t(l.detail)}`);
      if (l.makeRoom.length)
        out.push(`      - make-room deletes version id(s) ${list(l.makeRoom)} before the revoke`);
      if (l.fix) out.push(`      fix first: ${t(l.fix)}`);
    }
  }
  out.push('', 'Steps, in order (* changes something at the provider):');
  const idWidth = Math.max(...view.steps.map((s) => s.id.length), 8);
  for (const s of view.steps)
    out.push(
      `  ${s.sideEffect ? '*' : ' '}${String(s.n).padStart(2)}. ${t(s.id).padEnd(idWidth)}  ${t(s.does)}`,
    );
  out.push(`  ${view.steps.map((s) => t(s.id)).join(' -> ')}`);
  out.push('', ...commandLines(view));
  out.push('', planTotals(view));
  return out.join('\n');
}

function requestLines(view: PlanView): string[] {
  const r = view.request;
  if (!r) return [];
  return [
    `Request ${t(r.id)} (${t(r.status)})`,
    `  requested by ${t(r.requester)}${r.requesterSigned ? ' (signed)' : ''}: ${t(r.reason)}`,
    field('ticket', r.ticket ? `${t(r.ticket)} (named in the reason)` : '(none named in the reason)'),
    field('filed', t(r.createdAt)),
    field('expires', `${t(r.expiresAt)} (unless approved by then)`),
    // The digest owners sign is the plan digest above; shown again only when the two differ.
    ...(r.planMatches ? [] : [field('filed digest', `${t(r.planDigest)}  DOES NOT MATCH THE STORED PLAN`)]),
  ];
}

function policyLines(view: PlanView): string[] {
  const p = view.policy;
  const bg = p.breakGlass;
  return [
    `Approval policy: ${p.tier} tier${p.tierReason ? ` (${t(p.tierReason)})` : ''}, as signed in the plan`,
    field('quorum', `${quorumRule(p.quorum)}; the requester cannot approve`),
    field(
      'hold',
      p.holdMinutes > 0
        ? `${formatHold(p.holdMinutes)} after the last approval before it can run`
        : 'none: it can run as soon as the quorum is met',
    ),
    field('approvals', `each expires ${p.approvalTtlHours} h after it is given`),
    field(
      'executor',
      p.executorNotApprover ? 'must not be one of the approvers' : 'may be one of the approvers',
    ),
    field(
      'break-glass',
      bg.allowed === null
        ? 'not stated here (see nhi policy show)'
        : bg.allowed
          ? `allowed for ${list(bg.group)} (${list(bg.members)}): runs without approval or hold, with a reason, alerted, reviewed by the owners afterwards`
          : 'not allowed: owners.breakGlass names nobody',
    ),
    ...(p.alerts === null ? [] : [field('alerts', list(p.alerts))]),
  ];
}

function changeLines(view: PlanView): string[] {
  const out = [`nhi will revoke (mode ${t(view.revoke.mode ?? 'provider default')}):`];
  if (!view.revoke.versions.length) out.push('  (nothing)');
  for (const v of view.revoke.versions) {
    out.push(`  - version id ${t(v.versionId)}${v.current ? '  (current)' : ''}`);
    const indent = '        ';
    out.push(field('state', `${t(v.state)}${v.stateSource === 'plan' ? ' (when planned)' : ''}`, indent));
    out.push(field('labels', list(v.labels), indent));
    out.push(field('created', v.createdAt ? t(v.createdAt) : '(not recorded in the plan)', indent));
    out.push(
      field(
        'fingerprint',
        v.fingerprint ? t(v.fingerprint) : '(none: the provider did not fingerprint it)',
        indent,
      ),
    );
  }
  const c = view.create;
  out.push('', `nhi will create:`);
  out.push(`  + ${t(c.what)}`);
  const indent = '        ';
  out.push(field('generator', t(c.generator), indent));
  if (c.fields) {
    const regenerate = c.fields.regenerate.map((f) => `${t(f.name)}: ${t(f.generator)}`);
    out.push(field('regenerate', regenerate.join('; ') || '(none)', indent));
    out.push(field('keep', list(c.fields.keep), indent));
  }
  out.push(field('delivery', t(c.delivery), indent));
  return out;
}

function commandLines(view: PlanView): string[] {
  const owners = Object.keys(view.commands.approve);
  if (!view.request) return ['Nothing has changed. To ask the owners:', `  ${t(view.commands.next)}`];
  if (!owners.length) return [`Inspect: ${t(view.commands.next)}`];
  return [
    view.request.reviewRequired
      ? 'To review the break-glass run (each owner, own key; approve endorses it, deny disputes it):'
      : 'To decide (each owner, with their own key; --digest refuses a plan that changed since):',
    ...owners.map((o) => `  ${t(view.commands.approve[o])}`),
    ...owners.map((o) => `  ${t(view.commands.deny[o])}`),
  ];
}
