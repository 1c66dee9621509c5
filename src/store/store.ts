/**
 * The state store contract. Every method is async so a networked implementation
 * (PostgreSQL, for several orchestrator instances) can satisfy the same contract suite
 * (test/store/contract.ts). `transaction` gives all-or-nothing writes: an audit entry is
 * appended in the same transaction as the state change it describes.
 */

import type { IncidentRecord } from './incident-types.js';
import type { PasskeyRecord } from './passkey-types.js';
import type {
  ApprovalRecord,
  AuditCheckpoint,
  AuditEntry,
  AuditRanges,
  DeliveryRecord,
  DeliveryStatus,
  FindingRecord,
  HashedAuditEntry,
  LeaseRecord,
  LineageRecord,
  RecoveryRequest,
  RequestStatus,
  RunRecord,
  ScanRecord,
  ScheduleState,
  SnapshotRecord,
  StepRecord,
  WitnessDeliveryState,
} from './types.js';

export interface AuditArea {
  head(): Promise<AuditEntry | undefined>;
  append(entry: AuditEntry): Promise<void>;
  /** Entries in seq order from `fromSeq` (inclusive), streamed. */
  entries(fromSeq?: number): AsyncIterable<AuditEntry>;
  /**
   * The same entries as the bytes their hashes cover, a page at a time, for `nhi audit verify`:
   * the store assembles each body from its columns, so nothing is parsed or canonicalized.
   */
  hashedEntries(fromSeq?: number): AsyncIterable<readonly HashedAuditEntry[]>;
  /**
   * The same entries a range at a time, each field aggregated into one string, for the parallel
   * chain check (src/audit/chain-check.ts). Optional: a store without it is checked entry by
   * entry from `hashedEntries`.
   */
  hashedRanges?(): Promise<AuditRanges>;
  addCheckpoint(cp: AuditCheckpoint): Promise<void>;
  checkpoints(): Promise<AuditCheckpoint[]>;
  lastCheckpoint(): Promise<AuditCheckpoint | undefined>;
  /** The newest entry of `type` (indexed): for rare entries a decision must find, e.g. `policy.adopted`. */
  latestOfType(type: string): Promise<AuditEntry | undefined>;
  /**
   * The newest `limit` entries whose type is one of `types`, newest first (indexed by type; a
   * scan report reads its trend from the `scan.<status>` entries this way).
   */
  latestOfTypes(types: readonly string[], limit: number): Promise<AuditEntry[]>;
  checkpointAt(seq: number): Promise<AuditCheckpoint | undefined>;
  /** Checkpoints in seq order from `fromSeq` (inclusive), streamed like `entries`. */
  checkpointsFrom(fromSeq?: number): AsyncIterable<AuditCheckpoint>;
  witnessState(name: string): Promise<WitnessDeliveryState | undefined>;
  putWitnessState(state: WitnessDeliveryState): Promise<void>;
}

export interface RequestArea {
  insert(req: RecoveryRequest): Promise<void>;
  get(id: string): Promise<RecoveryRequest | undefined>;
  update(id: string, patch: Partial<Omit<RecoveryRequest, 'id'>>): Promise<void>;
  list(filter?: { status?: RequestStatus; ref?: string }): Promise<RecoveryRequest[]>;
  /** Every request, in insertion order, streamed in pages (`nhi audit verify` cross-checks each). */
  all(): AsyncIterable<RecoveryRequest>;
}

export interface ApprovalArea {
  insert(approval: ApprovalRecord): Promise<void>;
  forRequest(requestId: string): Promise<ApprovalRecord[]>;
  /** Every approval and review row, in insertion order, streamed in pages. */
  all(): AsyncIterable<ApprovalRecord>;
}

export interface RunArea {
  insert(run: RunRecord): Promise<void>;
  get(id: string): Promise<RunRecord | undefined>;
  update(id: string, patch: Partial<Omit<RunRecord, 'id'>>): Promise<void>;
  forRequest(requestId: string): Promise<RunRecord[]>;
  list(filter?: { status?: RunRecord['status'] }): Promise<RunRecord[]>;
  /** Every run, in insertion order, streamed in pages. */
  all(): AsyncIterable<RunRecord>;
  upsertStep(step: StepRecord): Promise<void>;
  steps(runId: string): Promise<StepRecord[]>;
}

export interface LineageArea {
  insert(record: LineageRecord): Promise<void>;
  forRef(ref: string): Promise<LineageRecord[]>;
  /** Every lineage record, oldest first (revoked-still-used checks walk these). */
  all(): AsyncIterable<LineageRecord>;
}

export interface ScanArea {
  insertScan(scan: ScanRecord): Promise<void>;
  updateScan(id: string, patch: Partial<Omit<ScanRecord, 'id'>>): Promise<void>;
  getScan(id: string): Promise<ScanRecord | undefined>;
  lastScan(): Promise<ScanRecord | undefined>;
  /** The latest snapshot of a ref (from any earlier scan). */
  snapshot(ref: string): Promise<SnapshotRecord | undefined>;
  putSnapshot(snapshot: SnapshotRecord): Promise<void>;
  /** putSnapshot of each, in order (a later one of the same ref wins): one statement on PostgreSQL. */
  putSnapshots(snapshots: readonly SnapshotRecord[]): Promise<void>;
  /** Refs whose latest snapshot is from another scan than `scanId` (not seen this time). */
  refsNotSeenIn(scanId: string, instances: readonly string[]): AsyncIterable<string>;
}

export interface FindingArea {
  get(id: string): Promise<FindingRecord | undefined>;
  /** The findings of these ids that exist, in no particular order: one round trip for a scan's per-identity lookup. */
  getMany(ids: readonly string[]): Promise<FindingRecord[]>;
  upsert(finding: FindingRecord): Promise<void>;
  /** upsert of each, in order (a later one of the same id wins): one statement on PostgreSQL. */
  upsertMany(findings: readonly FindingRecord[]): Promise<void>;
  list(filter?: { type?: string; status?: FindingRecord['status']; ref?: string }): Promise<FindingRecord[]>;
  openIds(): Promise<string[]>;
  /**
   * Findings matching the filter, streamed in pages ordered by ref then id, so a report over
   * a large estate never holds every finding in memory. `refPrefix` selects provider instances
   * (e.g. "aws-prod:").
   */
  iterate(filter?: FindingStreamFilter): AsyncIterable<FindingRecord>;
}

export interface FindingStreamFilter {
  type?: string;
  status?: FindingRecord['status'];
  severity?: string;
  refPrefix?: string;
}

export interface DeliveryArea {
  insert(delivery: DeliveryRecord): Promise<void>;
  update(id: string, patch: Partial<Omit<DeliveryRecord, 'id'>>): Promise<void>;
  list(filter?: { status?: DeliveryStatus; subject?: string }): Promise<DeliveryRecord[]>;
}

/** Named leases (run leases, identity locks). Read-modify-write them inside a transaction. */
export interface LeaseArea {
  get(name: string): Promise<LeaseRecord | undefined>;
  put(lease: LeaseRecord): Promise<void>;
  /** Remove the lease if `owner` holds it; another owner's lease is left alone. */
  release(name: string, owner: string): Promise<void>;
}

export interface ScheduleArea {
  get(name: string): Promise<ScheduleState | undefined>;
  put(state: ScheduleState): Promise<void>;
}

/** Owners' passkeys for the approval page (pending until confirmed by the principal's key). */
export interface PasskeyArea {
  insert(passkey: PasskeyRecord): Promise<void>;
  get(credentialId: string): Promise<PasskeyRecord | undefined>;
  update(
    credentialId: string,
    patch: Partial<Omit<PasskeyRecord, 'credentialId' | 'principal'>>,
  ): Promise<void>;
  /** A principal's passkeys, oldest first. */
  forPrincipal(principal: string): Promise<PasskeyRecord[]>;
  /** Every passkey, oldest first. */
  list(): Promise<PasskeyRecord[]>;
}

/**
 * Incidents (src/incident): one row per incident, holding its plan document and the request
 * filed for each target. Operational memory like every row: the document is believed only
 * when it hashes to its digest, and what runs is each request's own signed plan.
 */
export interface IncidentArea {
  insert(incident: IncidentRecord): Promise<void>;
  get(id: string): Promise<IncidentRecord | undefined>;
  update(id: string, patch: Partial<Omit<IncidentRecord, 'id'>>): Promise<void>;
  /** Every incident, oldest first. */
  list(): Promise<IncidentRecord[]>;
}

export interface StoreTx {
  audit: AuditArea;
  requests: RequestArea;
  approvals: ApprovalArea;
  runs: RunArea;
  lineage: LineageArea;
  scans: ScanArea;
  findings: FindingArea;
  deliveries: DeliveryArea;
  schedules: ScheduleArea;
  leases: LeaseArea;
  passkeys: PasskeyArea;
  incidents: IncidentArea;
}

export interface Store extends StoreTx {
  /** Run `fn` atomically. Nested calls join the outer transaction. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Run read-only `fn` against one consistent snapshot, while other processes keep writing
   * (so audit verify's cross-check never sees a row committed after it read the entries).
   * Nothing written inside persists.
   */
  snapshot<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
