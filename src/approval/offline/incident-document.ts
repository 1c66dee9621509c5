/**
 * An owner's share of an incident as a self-contained document (`nhi incident export <id>
 * --as P`): the incident plan (so its digest is recomputed offline), every target of the
 * share with its readable plan, and the `nhi-incident-approval` payload the owner signs, but
 * for what the signer chooses (decision and expiry, within `approvalTtlHours`).
 *
 * Nothing in it is trusted by itself: on the owner's machine every plan is re-hashed against
 * its digest, the incident plan against the incident digest, and the subset root recomputed
 * from the targets' (requestId, planDigest) leaves before anything is shown or signed; on the
 * orchestrator `nhi approval import` records the decision only if it is exactly the share the
 * store holds then.
 */
import { canonicalDigest } from '../../lib/canonical.js';
import { UsageError } from '../../lib/errors.js';
import type { IncidentPlanDocument } from '../../store/incident-types.js';
import type { Decision } from '../../store/types.js';
import type { TrustedRequest } from '../decisions/signed-request.js';
import type { OwnerRegistry } from '../owners/owner-registry.js';
import {
  INCIDENT_APPROVAL_KIND,
  type IncidentApprovalPayload,
  incidentPayloadText,
  type SubsetLeaf,
  sortedLeaves,
  subsetTree,
} from '../signing/incident-proof.js';
import { parseVersionedDocument } from './document-json.js';
import {
  buildRequestDocument,
  checkPlan,
  REQUEST_DOCUMENT_KIND,
  type RequestDocument,
} from './request-document.js';

export const INCIDENT_SHARE_DOCUMENT_KIND = 'nhi-incident-share';

/** One target of the share: its leaf (requestId, planDigest) and the plan view's inputs, as in a request document. */
export type ShareTarget = { requestId: string } & Pick<
  RequestDocument,
  'planDigest' | 'plan' | 'owners' | 'facts'
>;

export type SharePayloadFields = Omit<IncidentApprovalPayload, 'decision' | 'expiresAt'>;

export interface IncidentShareDocument {
  kind: typeof INCIDENT_SHARE_DOCUMENT_KIND;
  version: 1;
  incident: {
    id: string;
    digest: string;
    reason: string;
    requester: string;
    createdAt: string;
    /** When every request of the incident expires: nothing on this export can be decided after. */
    requestExpiresAt: string;
    requesterSigned: boolean;
    /** The incident plan the digest covers (every target, not only this share's). */
    plan: IncidentPlanDocument;
  };
  /** The owner whose share this is, and the key they are registered with. */
  principal: string;
  keyId: string;
  /** The signed payload but for `decision` and `expiresAt`, which the signer sets. */
  payload: SharePayloadFields;
  /** A decision may stand this long at most: the shortest approval lifetime of the share's tiers. */
  approvalTtlHours: number;
  /** In leaf order (by request id): their (requestId, planDigest) hash to payload.subsetRoot. */
  targets: ShareTarget[];
  /** The owner's targets left out of the share, and why (context: not signed). */
  skipped: { requestId: string; ref: string; why: string }[];
  policyDigest?: string;
  exportedAt: string;
}

export function buildShareDocument(o: {
  incident: { id: string; digest: string; createdAt: string; document: IncidentPlanDocument };
  share: readonly TrustedRequest[];
  skipped: IncidentShareDocument['skipped'];
  fields: Omit<SharePayloadFields, 'kind'>;
  ttlHours: number;
  registry: OwnerRegistry;
  facts: (request: TrustedRequest) => RequestDocument['facts'];
  now: Date;
  policyDigest?: string;
}): IncidentShareDocument {
  const { fields, now } = o;
  const targets = o.share.map((request) => {
    const doc = buildRequestDocument(request, o.registry, o.facts(request), now);
    return {
      requestId: request.id,
      planDigest: doc.planDigest,
      plan: doc.plan,
      owners: doc.owners,
      facts: doc.facts,
    };
  });
  return {
    kind: INCIDENT_SHARE_DOCUMENT_KIND,
    version: 1,
    incident: {
      id: o.incident.id,
      digest: o.incident.digest,
      reason: fields.reason,
      requester: fields.requester,
      createdAt: o.incident.createdAt,
      requestExpiresAt: fields.requestExpiresAt,
      requesterSigned: o.share.some((r) => r.requesterProof !== undefined),
      plan: o.incident.document,
    },
    principal: fields.principal,
    keyId: o.registry.principal(fields.principal)?.keyId ?? '',
    payload: { kind: INCIDENT_APPROVAL_KIND, ...fields },
    approvalTtlHours: o.ttlHours,
    targets,
    skipped: [...o.skipped],
    ...(o.policyDigest ? { policyDigest: o.policyDigest } : {}),
    exportedAt: now.toISOString(),
  };
}

/** The (requestId, planDigest) leaves of the share, in tree order. */
export const shareLeaves = (doc: IncidentShareDocument): SubsetLeaf[] =>
  doc.targets.map((t) => ({ requestId: t.requestId, planDigest: t.planDigest }));

/**
 * Parse and check a share document: every plan hashes to its digest, the incident plan to the
 * incident digest and names each target with that plan, the leaves hash to the subset root,
 * and the payload is the incident's.
 */
export function parseShareDocument(text: string, source: string): IncidentShareDocument {
  const bad = (why: string): never => {
    throw new UsageError(`${source} is not a usable nhi incident share document: ${why}`);
  };
  const d = parseVersionedDocument(text, INCIDENT_SHARE_DOCUMENT_KIND, bad) as Partial<IncidentShareDocument>;
  const inc = d.incident;
  for (const f of ['id', 'digest', 'reason', 'requester', 'createdAt', 'requestExpiresAt'] as const) {
    if (typeof inc?.[f] !== 'string') bad(`incident.${f} is missing`);
  }
  for (const f of ['principal', 'keyId', 'exportedAt'] as const)
    if (typeof d[f] !== 'string') bad(`${f} is missing`);
  if (!(typeof d.approvalTtlHours === 'number' && d.approvalTtlHours > 0)) bad('approvalTtlHours is missing');
  if (!Array.isArray(d.targets) || d.targets.length === 0) bad('it names no target');
  const incident = inc as IncidentShareDocument['incident'];
  const plan = incident.plan as unknown as IncidentPlanDocument | undefined;
  if (plan?.kind !== 'nhi-incident-plan' || !Array.isArray(plan.targets)) bad('incident.plan is missing');
  const incidentDigest = canonicalDigest(plan);
  if (incidentDigest !== incident.digest)
    bad(
      `its incident plan hashes to ${incidentDigest}, not to ${incident.digest}: the document was changed after export`,
    );
  const planned = new Map((plan as IncidentPlanDocument).targets.map((t) => [t.ref, t.planDigest]));
  for (const [i, t] of (d.targets as ShareTarget[]).entries()) {
    if (typeof t?.requestId !== 'string' || typeof t.planDigest !== 'string')
      bad(`targets[${i}] has no request or digest`);
    if (!Array.isArray(t.owners)) bad(`targets[${i}].owners is missing`);
    const p = checkPlan(t.plan, t.planDigest, (why) => bad(`targets[${i}]: ${why}`));
    if (planned.get(p.ref) !== t.planDigest)
      bad(`targets[${i}] (${p.ref}) is not a target of the incident plan with that plan digest`);
  }
  const leaves = shareLeaves(d as IncidentShareDocument);
  const sorted = sortedLeaves(leaves);
  if (sorted.some((l, i) => l.requestId !== leaves[i]?.requestId))
    bad('its targets are not in request-id order');
  const expected: SharePayloadFields = {
    kind: INCIDENT_APPROVAL_KIND,
    incidentId: incident.id,
    incidentDigest: incident.digest,
    principal: d.principal as string,
    requester: incident.requester,
    reason: incident.reason,
    requestExpiresAt: incident.requestExpiresAt,
    targets: leaves.length,
    subsetRoot: subsetTree(leaves).root,
  };
  for (const [field, value] of Object.entries(expected)) {
    const got = (d.payload as Record<string, unknown> | undefined)?.[field];
    if (got !== value)
      bad(
        `payload.${field} is ${JSON.stringify(got)}, but the document's share gives ${JSON.stringify(value)}`,
      );
  }
  return d as IncidentShareDocument;
}

/** The exact text a decision on this share signs. */
export function sharePayloadText(doc: IncidentShareDocument, decision: Decision, expiresAt: string): string {
  const { kind: _kind, ...fields } = doc.payload;
  return incidentPayloadText({ ...fields, decision, expiresAt });
}

/** One target as the request document the offline plan view renders (shown, never trusted). */
export function targetAsRequestDocument(doc: IncidentShareDocument, target: ShareTarget): RequestDocument {
  return {
    kind: REQUEST_DOCUMENT_KIND,
    version: 1,
    request: {
      id: target.requestId,
      requester: doc.incident.requester,
      reason: doc.incident.reason,
      createdAt: doc.incident.createdAt,
      expiresAt: doc.incident.requestExpiresAt,
      requesterSigned: doc.incident.requesterSigned,
    },
    planDigest: target.planDigest,
    plan: target.plan,
    decisionExpiresAt: doc.incident.requestExpiresAt,
    owners: target.owners,
    facts: target.facts,
    exportedAt: doc.exportedAt,
  };
}
