/**
 * What an owner signs for one request (an `nhi-approval` payload) and how nhi reads it back:
 * built, canonicalized and parsed here, signed and verified in proof.ts. incident-proof.ts
 * turns an owner's incident-share payload into this per-request view.
 */
import { canonicalJson } from '../../lib/canonical.js';
import type { Decision, DecisionPurpose } from '../../store/types.js';

/**
 * A decision taken after the fact on a break-glass run (endorse or dispute it). Signed into
 * the payload, so a review can never count as a pre-run approval, nor an approval as a review.
 */
export const REVIEW_PURPOSE: DecisionPurpose = 'retrospective-review';

/**
 * What an owner signs: the request, the exact plan (by digest), the decision and how long it
 * stands, and who filed the request, why, and until when it may run — so a request row whose
 * requester, reason or expiry was edited after the owner signed no longer matches the signature.
 */
export interface ApprovalPayload {
  kind: 'nhi-approval';
  requestId: string;
  planDigest: string;
  decision: Decision;
  expiresAt: string;
  principal: string;
  /** Absent for a pre-run approval (the payload of every approval signed so far); set for a review. */
  purpose?: DecisionPurpose;
  /**
   * The request's requester, reason and expiry. Absent only in decisions signed by nhi before
   * 0.2 (still re-verifiable offline); the engine always expects them, so such a decision no
   * longer counts towards a run.
   */
  requester?: string;
  reason?: string;
  requestExpiresAt?: string;
}

/** The request fields a decision binds besides its id and plan digest. */
export interface SignedRequestFields {
  requester: string;
  reason: string;
  requestExpiresAt: string;
}

/** The request-bound fields of a request row, for an expected payload. */
export function requestFields(request: {
  requester: string;
  reason: string;
  expiresAt: string;
}): SignedRequestFields {
  return { requester: request.requester, reason: request.reason, requestExpiresAt: request.expiresAt };
}

export function approvalPayload(fields: Omit<ApprovalPayload, 'kind'>): ApprovalPayload {
  return {
    kind: 'nhi-approval',
    requestId: fields.requestId,
    planDigest: fields.planDigest,
    decision: fields.decision,
    expiresAt: fields.expiresAt,
    principal: fields.principal,
    ...(fields.purpose === REVIEW_PURPOSE ? { purpose: REVIEW_PURPOSE } : {}),
    ...(fields.requester !== undefined ? { requester: fields.requester } : {}),
    ...(fields.reason !== undefined ? { reason: fields.reason } : {}),
    ...(fields.requestExpiresAt !== undefined ? { requestExpiresAt: fields.requestExpiresAt } : {}),
  };
}

/** "pre-run approval" or "retrospective review", for messages. */
export function purposeLabel(purpose: DecisionPurpose | undefined): string {
  return purpose === REVIEW_PURPOSE ? 'retrospective review' : 'pre-run approval';
}

export function payloadText(payload: ApprovalPayload): string {
  return canonicalJson(approvalPayload(payload));
}

/** The JSON object a signed payload holds, when it parses and is of `kind`; the kind keeps payload types apart. */
export function signedObjectOfKind(text: string, kind: string): Record<string, unknown> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const p = raw as Record<string, unknown>;
  return p.kind === kind ? p : undefined;
}

/** Parse a signed payload; undefined unless it is a canonical nhi-approval payload. */
export function parseSignedPayload(text: string): ApprovalPayload | undefined {
  const p = signedObjectOfKind(text, 'nhi-approval');
  if (!p) return undefined;
  for (const f of ['requestId', 'planDigest', 'expiresAt', 'principal'] as const) {
    if (typeof p[f] !== 'string') return undefined;
  }
  if (p.decision !== 'approve' && p.decision !== 'deny') return undefined;
  if (p.purpose !== undefined && p.purpose !== REVIEW_PURPOSE) return undefined;
  for (const f of ['requester', 'reason', 'requestExpiresAt'] as const) {
    if (p[f] !== undefined && typeof p[f] !== 'string') return undefined;
  }
  const payload = approvalPayload(p as unknown as ApprovalPayload);
  // Extra members or a non-canonical encoding: not something nhi produced.
  return payloadText(payload) === text ? payload : undefined;
}
