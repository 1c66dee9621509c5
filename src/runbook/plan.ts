/**
 * The pure planner: target + runbook + current provider snapshot + policy -> Plan.
 * No I/O, no clock: the same inputs always give the same canonical plan and digest,
 * which is what approvals bind to.
 */
import type { TierPolicy } from '../config/schema.js';
import { canonicalDigest } from '../lib/canonical.js';
import { PolicyError } from '../lib/errors.js';
import type { IdentityRecord, KindCapabilities } from '../provider.js';
import type { Plan } from './plan-types.js';
import type { Runbook } from './schema.js';
import { STEP_DEFINITIONS } from './steps/index.js';

export type { Plan, PlannedStep } from './plan-types.js';

export interface PlanInput {
  runbook: Runbook;
  snapshot: IdentityRecord;
  capabilities: KindCapabilities | undefined;
  owners: string[];
  tier: { tier: 'standard' | 'privileged'; because?: string };
  policy: TierPolicy;
}

export function planRecovery(input: PlanInput): Plan {
  const { runbook, snapshot, capabilities } = input;
  assertCapable(runbook, snapshot.ref, capabilities);
  const revokeStep = runbook.steps.find((s) => s.type === 'revoke');
  const scope = (revokeStep?.params.scope as string | undefined) ?? 'all-live';
  const mode = (revokeStep?.params.mode as string | undefined) ?? capabilities?.revokeModes[0] ?? null;
  const live = snapshot.versions.filter((v) => v.state === 'enabled' && (scope === 'all-live' || v.current));
  if (live.length === 0 && runbook.order === 'revoke-then-reissue') {
    throw new PolicyError(
      'nothing-to-revoke',
      `${snapshot.ref} has no live version to revoke (state ${snapshot.state})`,
    );
  }
  assertWithinLimits(runbook, snapshot);
  const versions = live
    .map((v) => ({
      versionId: v.id,
      fingerprint: v.fingerprint ?? null,
      labels: [...(v.labels ?? [])].sort(),
    }))
    .sort((a, b) => a.versionId.localeCompare(b.versionId));
  return {
    kind: 'nhi-recovery-plan',
    version: 1,
    ref: snapshot.ref,
    provider: snapshot.provider,
    instance: snapshot.instance,
    credentialKind: snapshot.kind,
    runbook: { id: runbook.id, order: runbook.order },
    target: {
      state: snapshot.state,
      currentVersion: snapshot.currentVersion ?? null,
      owners: [...input.owners].sort(),
      tier: input.tier.tier,
      tierReason: input.tier.because ?? null,
    },
    revoke: { versions, mode },
    create: {
      generator: runbook.generator,
      count: 1,
      ...(snapshot.fields
        ? {
            fields: {
              regenerate: snapshot.fields.regenerate.map((f) => ({ ...f })),
              keep: [...snapshot.fields.keep],
            },
          }
        : {}),
    },
    limits: (snapshot.limits ?? []).map((l) => ({
      ...l,
      ...(l.makeRoom ? { makeRoom: [...l.makeRoom].sort() } : {}),
    })),
    derived: (snapshot.derived ?? []).map((d) => ({ ...d })),
    steps: runbook.steps.map((s) => ({
      id: s.id,
      type: s.type,
      params: s.params,
      sideEffect: STEP_DEFINITIONS[s.type].sideEffect,
    })),
    policy: {
      tier: input.tier.tier,
      quorum: input.policy.quorum,
      holdMinutes: input.policy.holdMinutes,
      approvalTtlHours: input.policy.approvalTtlHours,
      executorNotApprover: input.policy.executorNotApprover,
    },
  };
}

export function planDigest(plan: Plan): string {
  return canonicalDigest(plan);
}

/**
 * Refuse at plan time a recovery that would hit a provider limit mid-run (after revoking):
 * the provider says what to do first (`fix`), or names versions a `make-room` step must
 * delete — which the runbook must then have before its reissue.
 */
function assertWithinLimits(runbook: Runbook, snapshot: IdentityRecord): void {
  for (const limit of snapshot.limits ?? []) {
    if (limit.fix) {
      throw new PolicyError('provider-limit', `${snapshot.ref}: ${limit.detail}; ${limit.fix}`);
    }
    if (!limit.makeRoom?.length) continue;
    const roomAt = runbook.steps.findIndex((s) => s.type === 'make-room');
    const reissueAt = runbook.steps.findIndex((s) => s.type === 'reissue');
    if (roomAt < 0 || (reissueAt >= 0 && roomAt > reissueAt)) {
      throw new PolicyError(
        'provider-limit',
        `${snapshot.ref}: ${limit.detail}; runbook ${runbook.id} needs a "make-room" step before "reissue" to delete ${limit.makeRoom.join(', ')} first (or delete it yourself, then plan again)`,
      );
    }
  }
}

/** Refuse, before anything runs, a runbook whose steps the provider cannot do. */
export function assertCapable(runbook: Runbook, ref: string, caps: KindCapabilities | undefined): void {
  if (!caps) {
    throw new PolicyError(
      'capability',
      `provider of ${ref} does not support kind "${runbook.appliesTo.kind}"`,
    );
  }
  for (const step of runbook.steps) {
    const need = STEP_DEFINITIONS[step.type].requires;
    if (need && !caps[need]) {
      throw new PolicyError(
        'capability',
        `runbook ${runbook.id} step "${step.id}" needs "${need}", which ${ref}'s provider cannot do for kind ${runbook.appliesTo.kind}`,
      );
    }
    const mode = step.type === 'revoke' ? (step.params.mode as string | undefined) : undefined;
    if (mode && !caps.revokeModes.includes(mode)) {
      throw new PolicyError(
        'capability',
        `runbook ${runbook.id} asks revoke mode "${mode}"; ${ref}'s provider supports: ${caps.revokeModes.join(', ') || 'none'}`,
      );
    }
  }
  if (runbook.order === 'reissue-then-revoke' && !caps.discard) {
    throw new PolicyError(
      'capability',
      `reissue-then-revoke needs "discard" (to remove an unverified version); ${ref} cannot`,
    );
  }
}
