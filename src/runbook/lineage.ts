import { randomUUID } from 'node:crypto';
import type { LineageRecord, RecoveryRequest, RunRecord } from '../store/types.js';
import type { RunFacts } from './facts.js';
import type { Plan, PlannedStep } from './plan.js';

/** The step whose outcome completes a recovery: the last of revoke / reissue / verify. */
export function completingStepIndex(steps: readonly PlannedStep[]): number {
  let last = -1;
  steps.forEach((s, i) => {
    if (s.type === 'revoke' || s.type === 'reissue' || s.type === 'verify') last = i;
  });
  return last;
}

export function lineageFor(
  run: RunRecord,
  request: RecoveryRequest,
  plan: Plan,
  facts: RunFacts,
  now: Date,
): LineageRecord {
  const planned = new Map(plan.revoke.versions.map((v) => [v.versionId, v.fingerprint]));
  return {
    id: `lin_${randomUUID()}`,
    ref: plan.ref,
    runId: run.id,
    requestId: request.id,
    reason: request.reason,
    requester: request.requester,
    approvers: facts.approvers ?? [],
    executor: run.executor,
    oldVersions: (facts.revoked ?? []).map((r) => ({
      versionId: r.versionId,
      ...((r.fingerprint ?? planned.get(r.versionId))
        ? { fingerprint: (r.fingerprint ?? planned.get(r.versionId)) as string }
        : {}),
      revokedAt: r.revokedAt,
      ...(r.derived?.length ? { derived: r.derived.map((d) => ({ ...d })) } : {}),
    })),
    ...(facts.issued
      ? {
          newVersion: {
            versionId: facts.issued.versionId,
            fingerprint: facts.issued.fingerprint,
            issuedAt: facts.issued.issuedAt,
            ...(facts.issued.delivery ? { delivery: facts.issued.delivery } : {}),
          },
        }
      : {}),
    proofRef: run.breakGlass ? `break-glass:${run.id}` : (facts.approvalIds ?? []).join(','),
    breakGlass: run.breakGlass,
    createdAt: now.toISOString(),
  };
}
