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
import type { StoreTx } from '../store/store.js';
import type { RecoveryRequest } from '../store/types.js';
import type { EngineDeps } from './engine.js';
import type { Plan } from './plan-types.js';
import { planTarget } from './planning.js';

export interface NewRequest {
  ref: string;
  runbookId: string;
  reason: string;
  requester: string;
  /** The requester's signature (`--key`): required when policy.requireSignedActors is set. */
  actor?: ActorCredential;
}

/** The checks every filing passes first: a reason, and a registered requester. Returns the trimmed reason. */
export function checkFiling(
  config: EngineDeps['config'],
  input: { reason: string; requester: string },
  why: string,
): string {
  const reason = input.reason.trim();
  if (!reason) throw new UsageError(`--reason must say why (${why})`);
  if (!hasOwnKey(config.owners.principals, input.requester)) {
    throw new PolicyError(
      'unknown-principal',
      `requester "${input.requester}" is not a registered principal (owners.principals)`,
    );
  }
  return reason;
}

/**
 * A request for one planned target, signed by its requester when they give a key (refused, and
 * audited as `refusalType`, before anything is stored). Shared by `nhi request` and every target
 * of `nhi incident request`, so both file exactly the same record.
 */
export async function newRequest(
  deps: EngineDeps,
  target: { plan: Plan; digest: string; owners: string[]; runbookId: string },
  fields: {
    reason: string;
    requester: string;
    now: Date;
    expiresAt: string;
    actor?: ActorCredential;
    incidentId?: string;
  },
  refusalType: string,
): Promise<RecoveryRequest> {
  const { plan, digest, owners, runbookId } = target;
  // The requester signs the exact plan filed; refused (and audited) before anything is stored.
  const requesterProof = await authenticateActorAudited(
    { ...deps, registry: ownerRegistryFromConfig(deps.config) },
    { action: 'request', principal: fields.requester, ref: plan.ref, runbookId, planDigest: digest },
    fields.actor,
    fields.now,
    { type: refusalType, data: { ref: plan.ref, runbook: runbookId, planDigest: digest } },
  );
  return {
    id: `req_${randomUUID()}`,
    ref: plan.ref,
    runbookId,
    reason: fields.reason,
    requester: fields.requester,
    tier: plan.policy.tier,
    owners,
    plan,
    planDigest: digest,
    status: 'pending',
    createdAt: fields.now.toISOString(),
    expiresAt: fields.expiresAt,
    reviewRequired: false,
    ...(requesterProof ? { requesterProof } : {}),
    ...(fields.incidentId ? { incidentId: fields.incidentId } : {}),
    updatedAt: fields.now.toISOString(),
  };
}

/** Store a request with its `request.created` entry, in the caller's transaction. */
export async function recordRequest(deps: EngineDeps, tx: StoreTx, request: RecoveryRequest): Promise<void> {
  await tx.requests.insert(request);
  await deps.audit.record(tx.audit, {
    type: 'request.created',
    actor: request.requester,
    subject: request.id,
    data: {
      ref: request.ref,
      runbook: request.runbookId,
      planDigest: request.planDigest,
      tier: request.tier,
      owners: request.owners,
      reason: request.reason,
      expiresAt: request.expiresAt,
      revoke: request.plan.revoke.versions.map((v) => v.versionId),
      ...(request.incidentId ? { incidentId: request.incidentId } : {}),
      ...actorProofData(request.requesterProof),
      ...policyDigestField(deps),
    },
  });
}

/** When a request filed now expires (policy.requestTtlHours). */
export function requestExpiry(deps: EngineDeps, now: Date): string {
  return new Date(now.getTime() + deps.config.policy.requestTtlHours * 3_600_000).toISOString();
}

/**
 * File a recovery request: plan against the live provider, store the request with its
 * plan and digest and the audit entry in one transaction, then tell the owners.
 */
export async function createRequest(deps: EngineDeps, input: NewRequest): Promise<RecoveryRequest> {
  const reason = checkFiling(deps.config, input, 'an incident id, what leaked');
  // Filed under a signed policy only (src/policy/gate.ts): a ConfigError naming what changed, else.
  deps = { ...deps, policyDigest: await requireSignedPolicy(deps) };
  const { plan, digest, owners } = await planTarget(deps, input.ref, input.runbookId);
  const now = deps.now();
  const request = await newRequest(
    deps,
    { plan, digest, owners, runbookId: input.runbookId },
    {
      reason,
      requester: input.requester,
      now,
      expiresAt: requestExpiry(deps, now),
      ...(input.actor ? { actor: input.actor } : {}),
    },
    'request.refused',
  );
  await deps.store.transaction((tx) => recordRequest(deps, tx, request));
  await notifyRequestCreated(deps.notifier, deps.config, request);
  return request;
}
