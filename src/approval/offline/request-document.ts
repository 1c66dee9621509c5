/**
 * The self-contained request document (`nhi request export`): everything an owner needs to
 * decide on a machine with no config, no database and no network — the plan, its digest, the
 * policy that applies, the requester, reason and expiry — and nothing secret or stateful.
 *
 * Nothing in it is trusted by itself: on the owner's machine the plan is re-hashed against the
 * digest before it is shown, and on the orchestrator `nhi approval import` verifies the signed
 * decision against the stored request exactly like an online approval. A document edited in
 * transit yields a decision that names another digest, requester or reason, and is refused.
 */
import { canonicalDigest } from '../../lib/canonical.js';
import { UsageError } from '../../lib/errors.js';
import type { PolicyFacts } from '../../plan-view/model.js';
import type { Plan } from '../../runbook/plan-types.js';
import type { Decision, RecoveryRequest } from '../../store/types.js';
import type { TrustedRequest } from '../decisions/signed-request.js';
import type { OwnerRegistry } from '../owners/owner-registry.js';
import { type ApprovalPayload, approvalPayload, requestFields } from '../signing/proof.js';
import { parseVersionedDocument } from './document-json.js';

export const REQUEST_DOCUMENT_KIND = 'nhi-request-document';

export interface RequestDocument {
  kind: typeof REQUEST_DOCUMENT_KIND;
  version: 1;
  request: {
    id: string;
    requester: string;
    reason: string;
    createdAt: string;
    expiresAt: string;
    /** The requester signed the request (policy.requireSignedActors), or only claimed a name. */
    requesterSigned: boolean;
  };
  planDigest: string;
  plan: Plan;
  /**
   * The expiry every decision made from this document signs: the export time plus the tier's
   * approval lifetime, never past the request's own expiry. Fixed here so an `ssh-keygen -Y
   * sign` over the printed payload and the import that rebuilds it agree byte for byte.
   */
  decisionExpiresAt: string;
  /** Owners who may decide, with the key each is registered with (for the owner to check theirs). */
  owners: { principal: string; keyId: string }[];
  /**
   * What the plan view shows beside the plan (break-glass group, alert targets, where the new
   * credential goes), from the orchestrator's signed policy and config. Context for the owner:
   * not signed, not part of the digest.
   */
  facts: { policy: PolicyFacts; delivery: string };
  /** Digest of the signed policy document in force when exported, when there is one. */
  policyDigest?: string;
  exportedAt: string;
}

export function buildRequestDocument(
  request: TrustedRequest,
  registry: OwnerRegistry,
  facts: RequestDocument['facts'],
  now: Date,
  policyDigest?: string,
): RequestDocument {
  const ttlMs = request.signedPlan.policy.approvalTtlHours * 3_600_000;
  const decisionExpiresAt = new Date(
    Math.min(now.getTime() + ttlMs, Date.parse(request.expiresAt)),
  ).toISOString();
  return {
    kind: REQUEST_DOCUMENT_KIND,
    version: 1,
    request: {
      id: request.id,
      requester: request.requester,
      reason: request.reason,
      createdAt: request.createdAt,
      expiresAt: request.expiresAt,
      requesterSigned: request.requesterProof !== undefined,
    },
    planDigest: request.planDigest,
    plan: request.signedPlan,
    decisionExpiresAt,
    owners: registry.registeredOwners(request.owners).map((principal) => ({
      principal,
      keyId: registry.principal(principal)?.keyId ?? '',
    })),
    facts,
    ...(policyDigest ? { policyDigest } : {}),
    exportedAt: now.toISOString(),
  };
}

/**
 * Parse and check a request document read from a file. The plan must hash to the digest the
 * document names: that is the plan the owner is shown and the digest they sign.
 */
export function parseRequestDocument(text: string, source: string): RequestDocument {
  const bad = (why: string): never => {
    throw new UsageError(`${source} is not a usable nhi request document: ${why}`);
  };
  const d = parseVersionedDocument(text, REQUEST_DOCUMENT_KIND, bad) as Partial<RequestDocument>;
  const r = d.request;
  for (const f of ['id', 'requester', 'reason', 'createdAt', 'expiresAt'] as const) {
    if (typeof r?.[f] !== 'string') bad(`request.${f} is missing`);
  }
  for (const f of ['planDigest', 'decisionExpiresAt', 'exportedAt'] as const) {
    if (typeof d[f] !== 'string') bad(`${f} is missing`);
  }
  if (!Array.isArray(d.owners)) bad('owners is missing');
  checkPlan(d.plan, d.planDigest as string, bad);
  return d as RequestDocument;
}

/**
 * A plan read from an offline document must be an nhi recovery plan that hashes to the digest
 * the document names: that is the plan the owner is shown and the digest they sign.
 */
export function checkPlan(plan: unknown, planDigest: string, bad: (why: string) => never): Plan {
  if (plan === null || typeof plan !== 'object' || (plan as Partial<Plan>).kind !== 'nhi-recovery-plan') {
    bad('plan is missing or not an nhi recovery plan');
  }
  let digest = '';
  try {
    digest = canonicalDigest(plan);
  } catch {
    bad('the plan cannot be canonicalized');
  }
  if (digest !== planDigest) {
    bad(`its plan hashes to ${digest}, not to ${planDigest}: the document was changed after export`);
  }
  return plan as Plan;
}

/** The document as the request row the plan view renders (nothing here is trusted: it is shown). */
export function documentAsRequest(doc: RequestDocument): RecoveryRequest {
  return {
    id: doc.request.id,
    ref: doc.plan.ref,
    runbookId: doc.plan.runbook.id,
    reason: doc.request.reason,
    requester: doc.request.requester,
    tier: doc.plan.policy.tier,
    owners: doc.owners.map((o) => o.principal),
    plan: doc.plan,
    planDigest: doc.planDigest,
    status: 'pending',
    createdAt: doc.request.createdAt,
    expiresAt: doc.request.expiresAt,
    reviewRequired: false,
    updatedAt: doc.exportedAt,
  };
}

/** The payload a decision on this document signs — the same bytes the orchestrator expects. */
export function documentPayload(
  doc: RequestDocument,
  principal: string,
  decision: Decision,
): ApprovalPayload {
  const request: Pick<RecoveryRequest, 'requester' | 'reason' | 'expiresAt'> = doc.request;
  return approvalPayload({
    requestId: doc.request.id,
    planDigest: doc.planDigest,
    decision,
    expiresAt: doc.decisionExpiresAt,
    principal,
    ...requestFields(request),
  });
}
