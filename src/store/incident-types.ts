/** An incident as the store keeps it (src/incident). Plain data; no secret values ever. */
import type { ActorProof } from './types.js';

/** One target the incident plan will recover: its runbook and the digest of its plan. */
export interface IncidentTarget {
  ref: string;
  runbookId: string;
  planDigest: string;
  tier: 'standard' | 'privileged';
  /** Registered owners from the plan: who approves this target. */
  owners: string[];
  /** The selector texts (or `value`) that put it in the blast radius. */
  matched: string[];
}

/** A selected identity nhi cannot recover, and why (no runbook for its kind, not found, planning failed). */
export interface UnrecoverableTarget {
  ref: string;
  reason: string;
  matched: string[];
}

/**
 * What the incident digest covers: the selection as given and every target with its plan
 * digest (sorted by ref), plus the identities left out and why. It holds no ids or times, so
 * `nhi incident plan` and `nhi incident request` of an unchanged estate print the same digest.
 */
export interface IncidentPlanDocument {
  kind: 'nhi-incident-plan';
  version: 1;
  selectors: string[];
  /** `--value-stdin` was used (the value and its fingerprint are never kept). */
  valueMatch: boolean;
  targets: IncidentTarget[];
  unrecoverable: UnrecoverableTarget[];
}

export interface IncidentExclusion {
  ref: string;
  by: string;
  at: string;
  reason: string;
}

export interface IncidentRecord {
  id: string;
  reason: string;
  requester: string;
  createdAt: string;
  /** Every request of the incident expires then (they are filed together). */
  expiresAt: string;
  document: IncidentPlanDocument;
  /** canonicalDigest(document), recomputed before anything is believed. */
  digest: string;
  /** The request filed for each target, in document order. */
  requests: { ref: string; requestId: string }[];
  /** Targets taken out of the incident (`nhi incident exclude`), each with its audit entry. */
  exclusions: IncidentExclusion[];
  requesterProof?: ActorProof;
  updatedAt: string;
}
