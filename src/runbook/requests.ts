import { randomUUID } from 'node:crypto';
import {
  type ActorCredential,
  actorProofData,
  authenticateActorAudited,
} from '../approval/decisions/actor.js';
import { notifyRequestCreated } from '../approval/notifications.js';
import { ownerRegistryFromConfig } from '../approval/owners/owner-registry.js';
import { PolicyError, UsageError } from '../lib/errors.js';
import { hasOwnKey } from '../lib/own.js';
import { policyDigestField, requireSignedPolicy } from '../policy/gate.js';
import type { RecoveryRequest } from '../store/types.js';
import type { EngineDeps } from './engine.js';
import { planTarget } from './planning.js';

export interface NewRequest {
  ref: string;
  runbookId: string;
  reason: string;
  requester: string;
  /** The requester's signature (`--key`): required when policy.requireSignedActors is set. */
  actor?: ActorCredential;
}

/**
 * File a recovery request: plan against the live provider, store the request with its
 * plan and digest and the audit entry in one transaction, then tell the owners.
 */
export async function createRequest(deps: EngineDeps, input: NewRequest): Promise<RecoveryRequest> {
  const reason = input.reason.trim();
  if (!reason) throw new UsageError('--reason must say why (an incident id, what leaked)');
  if (!hasOwnKey(deps.config.owners.principals, input.requester)) {
    throw new PolicyError(
      'unknown-principal',
      `requester "${input.requester}" is not a registered principal (owners.principals)`,
    );
  }
  // Filed under a signed policy only (src/policy/gate.ts): a ConfigError naming what changed, else.
  deps = { ...deps, policyDigest: await requireSignedPolicy(deps) };
  const { plan, digest, owners } = await planTarget(deps, input.ref, input.runbookId);
  const now = deps.now();
  // The requester signs the exact plan filed; refused (and audited) before anything is stored.
  const requesterProof = await authenticateActorAudited(
    { ...deps, registry: ownerRegistryFromConfig(deps.config) },
    {
      action: 'request',
      principal: input.requester,
      ref: plan.ref,
      runbookId: input.runbookId,
      planDigest: digest,
    },
    input.actor,
    now,
    { type: 'request.refused', data: { ref: plan.ref, runbook: input.runbookId, planDigest: digest } },
  );
  const request: RecoveryRequest = {
    id: `req_${randomUUID()}`,
    ref: plan.ref,
    runbookId: input.runbookId,
    reason,
    requester: input.requester,
    tier: plan.policy.tier,
    owners,
    plan,
    planDigest: digest,
    status: 'pending',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.config.policy.requestTtlHours * 3_600_000).toISOString(),
    reviewRequired: false,
    ...(requesterProof ? { requesterProof } : {}),
    updatedAt: now.toISOString(),
  };
  await deps.store.transaction(async (tx) => {
    await tx.requests.insert(request);
    await deps.audit.record(tx.audit, {
      type: 'request.created',
      actor: request.requester,
      subject: request.id,
      data: {
        ref: request.ref,
        runbook: request.runbookId,
        planDigest: digest,
        tier: request.tier,
        owners,
        reason,
        expiresAt: request.expiresAt,
        revoke: plan.revoke.versions.map((v) => v.versionId),
        ...actorProofData(requesterProof),
        ...policyDigestField(deps),
      },
    });
  });
  await notifyRequestCreated(deps.notifier, deps.config, request);
  return request;
}
