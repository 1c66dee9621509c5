/**
 * The readable plan: one neutral view model built from a Plan (what owners sign), rendered as
 * text, Markdown and HTML, and emitted as is for JSON. Every approval number (quorum, hold,
 * approval lifetime, executor rule) is read from the plan, never recomputed from live config;
 * what the plan does not carry (version creation times, the break-glass group, alert targets,
 * delivery paths) is passed in by the caller and labelled with where it came from.
 */
import { canonicalDigest } from '../lib/canonical.js';
import type { CredentialVersion } from '../provider.js';
import type { Plan } from '../runbook/plan-types.js';
import type { RunbookOrder, StepType } from '../runbook/schema.js';
import type { RecoveryRequest } from '../store/types.js';
import { decisionCommand, requestCommand } from './commands.js';
import { describeGenerator, describeOrder, describeStep, describeWhatIsCreated } from './wording.js';

export interface RevokeVersionView {
  versionId: string;
  current: boolean;
  state: string;
  /** `live snapshot`: read at plan time by `nhi plan`; `plan`: inferred from the signed plan. */
  stateSource: 'live snapshot' | 'plan';
  labels: string[];
  /** Known only from a live snapshot: the signed plan does not carry creation times. */
  createdAt: string | null;
  fingerprint: string | null;
}

export interface PolicyView {
  tier: 'standard' | 'privileged';
  tierReason: string | null;
  /** Where quorum, hold, approval lifetime and the executor rule were read from. */
  source: 'signed plan';
  quorum: number;
  holdMinutes: number;
  approvalTtlHours: number;
  executorNotApprover: boolean;
  breakGlass: BreakGlassView;
  /** Notify targets alerted when a request of this tier is filed or run (null: not known here). */
  alerts: string[] | null;
}

export interface BreakGlassView {
  /** null: the caller did not say (e.g. a plan rendered without its policy). */
  allowed: boolean | null;
  /** owners.breakGlass as written (principals or teams). */
  group: string[];
  /** The registered principals the group stands for. */
  members: string[];
  source: 'signed policy (owners.breakGlass)' | null;
}

export interface StepView {
  n: number;
  id: string;
  type: StepType;
  sideEffect: boolean;
  params: Record<string, unknown>;
  does: string;
}

export interface RequestView {
  id: string;
  status: string;
  requester: string;
  requesterSigned: boolean;
  reason: string;
  /** A ticket or incident id named in the reason (e.g. INC-42), if any: requests have no ticket field. */
  ticket: string | null;
  createdAt: string;
  expiresAt: string;
  /** The digest owners sign (the request's), and whether the stored plan still hashes to it. */
  planDigest: string;
  planMatches: boolean;
  /** A break-glass run skipped approval: approve/deny now record the owners' retrospective review. */
  reviewRequired: boolean;
}

export interface CommandsView {
  /** How to look at it again, or file it. */
  next: string;
  /** Per owner (from the signed plan), with --digest; empty unless the request can still be decided or reviewed. */
  approve: Record<string, string>;
  deny: Record<string, string>;
}

export interface PlanView {
  kind: 'nhi-plan-view';
  version: 1;
  ref: string;
  /** The digest of this plan as rendered (null when it cannot be computed). */
  digest: string | null;
  provider: { type: string; instance: string; credentialKind: string };
  runbook: { id: string; order: RunbookOrder; orderNote: string };
  target: { state: string; currentVersion: string | null; owners: string[] };
  policy: PolicyView;
  revoke: { mode: string | null; versions: RevokeVersionView[] };
  create: {
    count: number;
    what: string;
    generator: string;
    fields: { regenerate: { name: string; generator: string }[]; keep: string[] } | null;
    delivery: string;
  };
  derived: { kind: string; action: 'revoke' | 'out-of-reach'; detail: string }[];
  limits: {
    name: string;
    current: number;
    limit: number;
    detail: string;
    makeRoom: string[];
    fix: string | null;
  }[];
  steps: StepView[];
  request: RequestView | null;
  commands: CommandsView;
  /** Things an owner must know before signing (digest mismatch, no registered owner, ...). */
  warnings: string[];
}

/** What the plan does not carry, from the signed policy document (the config, checked by the policy gate). */
export interface PolicyFacts {
  breakGlass: { group: string[]; members: string[] };
  alerts: string[];
}

export interface PlanViewInput {
  plan: Plan;
  /** `nhi plan` only: the live snapshot the plan was made from (version state and creation time). */
  versions?: readonly CredentialVersion[];
  policy?: PolicyFacts;
  /** Where the provider delivers the new credential (wording.ts deliveryOf); a generic sentence otherwise. */
  delivery?: string;
  request?: RecoveryRequest;
}

const TICKET = /\b[A-Z][A-Z0-9]{1,15}-\d{1,10}\b/;

export function buildPlanView(input: PlanViewInput): PlanView {
  const { plan } = input;
  const digest = digestOf(plan);
  const live = new Map((input.versions ?? []).map((v) => [v.id, v]));
  const warnings: string[] = [];
  const request = input.request ? requestView(input.request, digest) : null;
  if (request && !request.planMatches) {
    warnings.push(
      `the stored plan hashes to ${digest ?? '(not computable)'}, not to the digest ${request.planDigest} that owners sign: it was changed after it was filed; do not approve it, file a new request`,
    );
  }
  if (plan.target.owners.length === 0) {
    warnings.push('no registered owner: nobody can approve this; only break-glass can run it');
  }
  for (const l of plan.limits) if (l.fix) warnings.push(`${l.name}: ${l.fix}`);
  const owners = [...plan.target.owners];
  // No commands to sign a plan that is not the one filed: the decision would be refused anyway.
  const decidable =
    request?.planMatches &&
    (request.status === 'pending' || request.status === 'approved' || request.reviewRequired);
  const ownerCommands = (decision: 'approve' | 'deny') =>
    request && decidable
      ? Object.fromEntries(
          owners.map((o) => [o, decisionCommand(request.id, request.planDigest, o, decision)]),
        )
      : {};
  return {
    kind: 'nhi-plan-view',
    version: 1,
    ref: plan.ref,
    digest,
    provider: { type: plan.provider, instance: plan.instance, credentialKind: plan.credentialKind },
    runbook: { id: plan.runbook.id, order: plan.runbook.order, orderNote: describeOrder(plan.runbook.order) },
    target: { state: plan.target.state, currentVersion: plan.target.currentVersion, owners },
    policy: {
      tier: plan.policy.tier,
      tierReason: plan.target.tierReason,
      source: 'signed plan',
      quorum: plan.policy.quorum,
      holdMinutes: plan.policy.holdMinutes,
      approvalTtlHours: plan.policy.approvalTtlHours,
      executorNotApprover: plan.policy.executorNotApprover,
      breakGlass: input.policy
        ? {
            allowed: input.policy.breakGlass.members.length > 0,
            group: [...input.policy.breakGlass.group],
            members: [...input.policy.breakGlass.members],
            source: 'signed policy (owners.breakGlass)',
          }
        : { allowed: null, group: [], members: [], source: null },
      alerts: input.policy ? [...input.policy.alerts] : null,
    },
    revoke: {
      mode: plan.revoke.mode,
      versions: plan.revoke.versions.map((v) => {
        const seen = live.get(v.versionId);
        return {
          versionId: v.versionId,
          current: seen ? seen.current : v.versionId === plan.target.currentVersion,
          // The planner revokes only versions that were enabled when it planned.
          state: seen?.state ?? 'enabled',
          stateSource: seen ? 'live snapshot' : 'plan',
          labels: [...v.labels],
          createdAt: seen?.createdAt ?? null,
          fingerprint: v.fingerprint,
        };
      }),
    },
    create: {
      count: plan.create.count,
      what: describeWhatIsCreated(plan),
      generator: describeGenerator(plan.create.generator, plan.credentialKind),
      fields: plan.create.fields
        ? {
            regenerate: plan.create.fields.regenerate.map((f) => ({
              name: f.name,
              generator: describeGenerator(f.generator, plan.credentialKind),
            })),
            keep: [...plan.create.fields.keep],
          }
        : null,
      delivery: input.delivery ?? 'where the provider puts a reissued credential of this kind',
    },
    derived: plan.derived.map((d) => ({ kind: d.kind, action: d.action, detail: d.detail })),
    limits: plan.limits.map((l) => ({
      name: l.name,
      current: l.current,
      limit: l.limit,
      detail: l.detail,
      makeRoom: [...(l.makeRoom ?? [])],
      fix: l.fix ?? null,
    })),
    steps: plan.steps.map((s, i) => ({
      n: i + 1,
      id: s.id,
      type: s.type,
      sideEffect: s.sideEffect,
      params: { ...s.params },
      does: describeStep(s, plan),
    })),
    request,
    commands: {
      next: request ? `nhi status ${request.id}` : requestCommand(plan.ref, plan.runbook.id),
      approve: ownerCommands('approve'),
      deny: ownerCommands('deny'),
    },
    warnings,
  };
}

function requestView(r: RecoveryRequest, digest: string | null): RequestView {
  return {
    id: r.id,
    status: r.status,
    requester: r.requester,
    requesterSigned: r.requesterProof !== undefined,
    reason: r.reason,
    ticket: TICKET.exec(r.reason)?.[0] ?? null,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    planDigest: r.planDigest,
    planMatches: digest === r.planDigest,
    reviewRequired: r.reviewRequired,
  };
}

function digestOf(plan: Plan): string | null {
  try {
    return canonicalDigest(plan);
  } catch {
    return null;
  }
}

/** Totals for the last line, like terraform's "Plan: 1 to add, 0 to change, 1 to destroy". */
export function planTotals(view: PlanView): string {
  const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
  const revoked = view.derived.filter((d) => d.action === 'revoke').length;
  const unreachable = view.derived.length - revoked;
  const removed = view.limits.reduce((sum, l) => sum + l.makeRoom.length, 0);
  const parts = [
    `${n(view.revoke.versions.length, 'version')} to revoke`,
    `${n(view.create.count, 'credential')} to create`,
  ];
  if (removed) parts.push(`${n(removed, 'unusable version')} deleted first to make room`);
  if (view.derived.length) parts.push(`derived: ${revoked} revoked, ${unreachable} out of reach`);
  return `Plan: ${parts.join(', ')}.`;
}
