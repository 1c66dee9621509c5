/**
 * One owner signature over their share of an incident. An incident files one request per
 * target; an owner approves (or denies) every target they own with ONE signature over an
 * `nhi-incident-approval` payload that names the incident, its digest, and a Merkle root over
 * the `(requestId, planDigest)` pairs of their subset. Each request's approval record carries
 * that same signature plus its inclusion path (log2 n hashes), so:
 *   - the run gate, quorum and `nhi audit verify` check one request's approval on its own,
 *     offline, without loading the incident (no O(n) list copied into n records);
 *   - a signature made for the subset never covers a request or a plan outside it.
 * Verified through the same checks as a single approval (proof.ts compareSigned): this file
 * only turns a covered incident payload into the equivalent per-request view.
 */
import { canonicalJson, sha256Hex } from '../../lib/canonical.js';
import type { Decision } from '../../store/types.js';
import { type ApprovalPayload, parseSignedPayload, signedObjectOfKind } from './proof-payload.js';

export const INCIDENT_APPROVAL_KIND = 'nhi-incident-approval';

export interface IncidentApprovalPayload {
  kind: typeof INCIDENT_APPROVAL_KIND;
  incidentId: string;
  /** The digest of the incident plan the owner reviewed (every target, not only theirs). */
  incidentDigest: string;
  decision: Decision;
  expiresAt: string;
  principal: string;
  /** Shared by every request of the incident (they are filed together). */
  requester: string;
  reason: string;
  requestExpiresAt: string;
  /** How many targets the subset holds (the tree's shape) and its Merkle root. */
  targets: number;
  subsetRoot: string;
}

/** Where one request sits in the signed subset. */
export interface SubsetInclusion {
  /** The plan digest the leaf holds: what the owner signed for this request. */
  planDigest: string;
  index: number;
  path: string[];
}

export interface SubsetLeaf {
  requestId: string;
  planDigest: string;
}

const leafHash = (leaf: SubsetLeaf) =>
  sha256Hex(
    `nhi-incident-leaf\n${canonicalJson({ requestId: leaf.requestId, planDigest: leaf.planDigest })}`,
  );
const nodeHash = (left: string, right: string) => sha256Hex(`nhi-incident-node\n${left}${right}`);

/** Leaves in request-id order: the order is part of the tree, so both sides sort the same way. */
export function sortedLeaves(leaves: readonly SubsetLeaf[]): SubsetLeaf[] {
  return [...leaves].sort((a, b) => (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0));
}

/**
 * The Merkle root of `leaves` (sorted by sortedLeaves) and each leaf's inclusion path. An odd
 * node at the end of a level is carried up unchanged; the leaf count in the payload tells the
 * verifier where that happens.
 */
export function subsetTree(leaves: readonly SubsetLeaf[]): { root: string; inclusions: SubsetInclusion[] } {
  if (leaves.length === 0) throw new RangeError('an incident approval covers at least one target');
  let level = leaves.map(leafHash);
  const paths: string[][] = leaves.map(() => []);
  // positions[i]: where leaf i's ancestor sits in the current level.
  const positions = leaves.map((_, i) => i);
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right === undefined ? (level[i] as string) : nodeHash(level[i] as string, right));
    }
    for (let leaf = 0; leaf < leaves.length; leaf++) {
      const pos = positions[leaf] as number;
      const sibling = pos % 2 === 1 ? level[pos - 1] : level[pos + 1];
      if (sibling !== undefined) (paths[leaf] as string[]).push(sibling);
      positions[leaf] = Math.floor(pos / 2);
    }
    level = next;
  }
  return {
    root: level[0] as string,
    inclusions: leaves.map((l, i) => ({ planDigest: l.planDigest, index: i, path: paths[i] as string[] })),
  };
}

/** Does `inclusion` prove (requestId, inclusion.planDigest) is leaf `index` of a `count`-leaf tree with `root`? */
export function verifyInclusion(
  requestId: string,
  inclusion: SubsetInclusion,
  count: number,
  root: string,
): boolean {
  if (!Number.isSafeInteger(inclusion.index) || inclusion.index < 0 || inclusion.index >= count) return false;
  let hash = leafHash({ requestId, planDigest: inclusion.planDigest });
  let index = inclusion.index;
  let width = count;
  let step = 0;
  while (width > 1) {
    if (index % 2 === 1) {
      const sibling = inclusion.path[step++];
      if (sibling === undefined) return false;
      hash = nodeHash(sibling, hash);
    } else if (index + 1 < width) {
      const sibling = inclusion.path[step++];
      if (sibling === undefined) return false;
      hash = nodeHash(hash, sibling);
    }
    index = Math.floor(index / 2);
    width = Math.ceil(width / 2);
  }
  return step === inclusion.path.length && hash === root;
}

export function incidentPayloadText(payload: Omit<IncidentApprovalPayload, 'kind'>): string {
  return canonicalJson(incidentApprovalPayload(payload));
}

function incidentApprovalPayload(p: Omit<IncidentApprovalPayload, 'kind'>): IncidentApprovalPayload {
  return {
    kind: INCIDENT_APPROVAL_KIND,
    incidentId: p.incidentId,
    incidentDigest: p.incidentDigest,
    decision: p.decision,
    expiresAt: p.expiresAt,
    principal: p.principal,
    requester: p.requester,
    reason: p.reason,
    requestExpiresAt: p.requestExpiresAt,
    targets: p.targets,
    subsetRoot: p.subsetRoot,
  };
}

/** Parse a signed payload; undefined unless it is a canonical nhi-incident-approval payload. */
export function parseIncidentPayload(text: string): IncidentApprovalPayload | undefined {
  const p = signedObjectOfKind(text, INCIDENT_APPROVAL_KIND);
  if (!p) return undefined;
  for (const f of [
    'incidentId',
    'incidentDigest',
    'expiresAt',
    'principal',
    'requester',
    'reason',
    'requestExpiresAt',
    'subsetRoot',
  ] as const) {
    if (typeof p[f] !== 'string') return undefined;
  }
  if (p.decision !== 'approve' && p.decision !== 'deny') return undefined;
  if (!Number.isSafeInteger(p.targets) || (p.targets as number) < 1) return undefined;
  const payload = incidentApprovalPayload(p as unknown as IncidentApprovalPayload);
  return canonicalJson(payload) === text ? payload : undefined;
}

/** A stored inclusion (untyped JSON) as a SubsetInclusion, or undefined. */
export function asInclusion(value: unknown): SubsetInclusion | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.planDigest !== 'string' || !Number.isSafeInteger(v.index)) return undefined;
  if (!Array.isArray(v.path) || !v.path.every((h) => typeof h === 'string')) return undefined;
  return { planDigest: v.planDigest, index: v.index as number, path: [...(v.path as string[])] };
}

/**
 * The per-request view of an incident approval: what the owner signed for `requestId`, as the
 * ApprovalPayload a single approval would carry. `undefined` with a reason when the payload is
 * not an incident approval, or its subset does not include this request.
 */
export function incidentApprovalFor(
  signedPayload: string,
  inclusion: SubsetInclusion | undefined,
  requestId: string,
): { payload: ApprovalPayload; incident: IncidentApprovalPayload } | { reason: string } | undefined {
  const incident = parseIncidentPayload(signedPayload);
  if (!incident) return undefined;
  if (!inclusion) return { reason: 'the incident approval carries no inclusion path for this request' };
  if (!verifyInclusion(requestId, inclusion, incident.targets, incident.subsetRoot)) {
    return {
      reason: `the incident approval of ${incident.incidentId} does not cover request ${requestId} (not in the signed subset)`,
    };
  }
  return {
    incident,
    payload: {
      kind: 'nhi-approval',
      requestId,
      planDigest: inclusion.planDigest,
      decision: incident.decision,
      expiresAt: incident.expiresAt,
      principal: incident.principal,
      requester: incident.requester,
      reason: incident.reason,
      requestExpiresAt: incident.requestExpiresAt,
    },
  };
}

/**
 * What a proof's signature says about `requestId`: its nhi-approval payload, or the per-request
 * view of an incident approval whose signed subset includes the request (below).
 */
export function signedDecisionFor(
  proof: { signedPayload: string; inclusion?: SubsetInclusion },
  requestId: string,
): { ok: true; payload: ApprovalPayload } | { ok: false; reason: string } {
  const single = parseSignedPayload(proof.signedPayload);
  if (single) return { ok: true, payload: single };
  const incident = incidentApprovalFor(proof.signedPayload, proof.inclusion, requestId);
  if (!incident) return { ok: false, reason: 'the signed payload is not a canonical nhi-approval payload' };
  if ('reason' in incident) return { ok: false, reason: incident.reason };
  return { ok: true, payload: incident.payload };
}
