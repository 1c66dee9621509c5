/** Rows the state store keeps. Plain data, JSON-serialisable; no secret values ever. */
import type { DerivedRevocation } from '../provider.js';
import type { RunFacts } from '../runbook/facts.js';
import type { Plan } from '../runbook/plan-types.js';

export type * from './audit-types.js';

export type RequestStatus =
  | 'pending'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'running'
  | 'completed'
  | 'failed'
  | 'needs-attention'
  /** Taken out of its incident before it ran (`nhi incident exclude`): never runs. */
  | 'withdrawn';

export interface RecoveryRequest {
  id: string;
  ref: string;
  runbookId: string;
  reason: string;
  requester: string;
  tier: 'standard' | 'privileged';
  owners: string[];
  /**
   * The plan as filed. A row can be edited by whoever can write the database: the plan is
   * believed only through trustedRequest (src/approval/decisions/signed-request.ts), which recomputes its
   * digest and checks its shape before anything reads a decision-relevant field.
   */
  plan: Plan;
  planDigest: string;
  status: RequestStatus;
  createdAt: string;
  expiresAt: string;
  /**
   * Set when a break-glass run skipped approval; cleared when an owner endorses the run
   * (`nhi approve` after the fact). A dispute (`nhi deny` after the fact) leaves it set.
   */
  reviewRequired: boolean;
  /** The retrospective owner review of the break-glass run, once one is recorded (the latest stands). */
  review?: RetrospectiveReview;
  /** When `nhi serve` reminded the owners before expiry (once; operational memory only). */
  remindedAt?: string;
  /** The requester's signature that they filed it (`nhi request --key`); absent when unsigned. */
  requesterProof?: ActorProof;
  /** Set when it was filed as one target of an incident (`nhi incident request`). */
  incidentId?: string;
  updatedAt: string;
}

/**
 * An actor's Ed25519 signature over a canonical `nhi-actor` payload: proof that the principal
 * named by `--as` filed the request, started or resumed the run (policy.requireSignedActors).
 */
export interface ActorProof {
  method: 'ed25519';
  keyId: string;
  /** Base64 Ed25519 signature over the UTF-8 bytes of `signedPayload`. */
  signature: string;
  /** Canonical JSON of the ActorPayload, exactly as signed. */
  signedPayload: string;
  /** SPKI PEM of the key that signed (the registered key then), for offline re-verification. */
  publicKey: string;
}

/** One `nhi resume` of a run: who, when, and their signature when they signed. */
export interface RunResume {
  actor: string;
  at: string;
  proof?: ActorProof;
}

export type ReviewOutcome = 'endorsed' | 'disputed';

export interface RetrospectiveReview {
  outcome: ReviewOutcome;
  /** The owner who signed the review. */
  principal: string;
  at: string;
  /** The ApprovalRecord (purpose 'retrospective-review') holding the signed proof. */
  approvalId: string;
  /** The break-glass run reviewed, and who executed it. */
  runId: string;
  executor: string;
  comment?: string;
}

export type Decision = 'approve' | 'deny';

/** What a signed decision is for; absent = a pre-run approval or deny. */
export type DecisionPurpose = 'retrospective-review';

export interface ApprovalRecord {
  id: string;
  requestId: string;
  principal: string;
  decision: Decision;
  planDigest: string;
  createdAt: string;
  expiresAt: string;
  comment?: string;
  /**
   * 'retrospective-review': an owner's signed review of a break-glass run after the fact,
   * never counted toward a quorum. Absent for a pre-run decision. The purpose is signed.
   */
  purpose?: DecisionPurpose;
  /** The proof that this principal decided: method + method-specific fields (e.g. ed25519 signature). */
  proof: Record<string, unknown>;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'needs-attention' | 'refused';

export interface RunRecord {
  id: string;
  requestId: string;
  executor: string;
  status: RunStatus;
  breakGlass: boolean;
  breakGlassReason?: string;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** Evidence and outputs gathered during the run (issued version, activity evidence, ...). */
  facts: RunFacts;
  /** The executor's signature that they started it (`nhi run --key`); absent when unsigned. */
  executorProof?: ActorProof;
  /** Every `nhi resume`, oldest first. */
  resumes?: RunResume[];
}

export type StepStatus = 'pending' | 'intent' | 'done' | 'failed' | 'skipped';

export interface StepRecord {
  runId: string;
  stepId: string;
  index: number;
  type: string;
  status: StepStatus;
  attempts: number;
  idempotencyKey: string;
  intent?: Record<string, unknown>;
  outcome?: Record<string, unknown>;
  updatedAt: string;
}

export interface LineageRecord {
  id: string;
  ref: string;
  runId: string;
  requestId: string;
  reason: string;
  requester: string;
  approvers: string[];
  executor: string;
  /** `derived`: what the revoke also cut off that the credential minted (e.g. the AWS session deny policy). */
  oldVersions: {
    versionId: string;
    fingerprint?: string;
    revokedAt?: string;
    derived?: DerivedRevocation[];
  }[];
  newVersion?: {
    versionId: string;
    fingerprint: string;
    issuedAt: string;
    delivery?: { kind: string; location: string };
  };
  proofRef: string;
  breakGlass: boolean;
  createdAt: string;
}

export interface SnapshotRecord {
  ref: string;
  scanId: string;
  seenAt: string;
  record: Record<string, unknown>;
}

/** `acknowledged`: an incident finding (revoked-*-used) closed by a person, never by a scan. */
export type FindingStatus = 'open' | 'resolved' | 'acknowledged';

/**
 * One acknowledgment of an incident finding (`nhi findings ack`), recorded with the
 * `finding.acknowledged` audit entry that `nhi audit verify` cross-checks it against.
 */
export interface FindingAck {
  /** The principal named by --as. */
  by: string;
  at: string;
  reason: string;
  /** The latest use the acknowledged evidence showed: a later use is a new occurrence. */
  lastUseAt?: string;
  /** Present when the principal signed (policy.requireSignedActors or --key). */
  actorProof?: ActorProof;
}

export interface FindingRecord {
  id: string;
  type: string;
  ref: string;
  severity: string;
  status: FindingStatus;
  firstSeen: string;
  lastSeen: string;
  resolvedAt?: string;
  owners: string[];
  summary: string;
  evidence: Record<string, unknown>;
  /** Every acknowledgment, oldest first; the last one closed it when status is `acknowledged`. */
  acks?: FindingAck[];
}

export interface ScanRecord {
  id: string;
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'completed' | 'interrupted' | 'failed';
  providers: string[];
  identities: number;
  counts: Record<string, number>;
  error?: string;
}

/** `failed`: will be retried at nextAttemptAt; `expired`: retries exhausted (notify target `retry`). */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'expired';

export interface DeliveryRecord {
  id: string;
  target: string;
  event: string;
  subject: string;
  status: DeliveryStatus;
  /** HTTP attempts made so far, across every delivery round. */
  attempts: number;
  lastError?: string;
  /** Delivery rounds so far: the first send, then one per retry (the backoff exponent). */
  rounds?: number;
  /** When a failed delivery is next due (exponential backoff); absent once delivered or expired. */
  nextAttemptAt?: string;
  createdAt: string;
  updatedAt: string;
  /** The body that was (or will be) sent, so a failed delivery can be retried. Never contains secrets. */
  body: Record<string, unknown>;
}

export interface ScheduleState {
  name: string;
  lastRunAt?: string;
  lastStatus?: string;
  lastScanId?: string;
  runningSince?: string;
  /** The newest scheduled occurrence claimed for scanning (never scanned twice; see leader.ts). */
  lastTickAt?: string;
}

/**
 * A named lease: who holds it, until when, and a fencing token that grows with every new
 * holder. `run:<runId>` is the executing process's hold on a run (renewed by heartbeat);
 * `identity:<ref>` is the run that owns an identity from its drift check to its end.
 */
export interface LeaseRecord {
  name: string;
  /** Who may renew and release it: the holder process for a run lease, the run for an identity lock. */
  owner: string;
  /** Process that holds it: `<host>:<pid>:<random>`. */
  holder: string;
  host: string;
  pid: number;
  /** The run it is for. */
  runId: string;
  token: number;
  acquiredAt: string;
  /** null: held until released (identity locks end with their run, not with time). */
  expiresAt: string | null;
}
