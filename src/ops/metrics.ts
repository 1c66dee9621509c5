/**
 * `/metrics` in Prometheus text format (prom-client). Two sources:
 * - this process: provider calls (by provider, operation, outcome; latency histogram), retries
 *   and throttles (through src/lib/call-metrics.ts), and whether it leads;
 * - the shared store's audit log, read incrementally at each scrape from the last seq seen
 *   (prevHash checked entry to entry): scans, runs, approvals, refusals and every entry type, as
 *   written by every process on the store — `nhi run` in a terminal included. Open findings
 *   and webhook deliveries are read from the store at scrape time.
 * Labels are names (types, rules, operations, severities), never refs, paths or values.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type CallLabel, type CallOutcome, observeProviderCalls } from '../lib/call-metrics.js';
import type { Store } from '../store/store.js';
import type { AuditEntry } from '../store/types.js';

export type MetricsStore = Pick<Store, 'audit' | 'findings' | 'deliveries' | 'scans'>;

const RUN_OUTCOMES = new Set(['run.completed', 'run.failed', 'run.needs-attention', 'run.refused']);
const SCAN_ENDS = new Set(['scan.completed', 'scan.interrupted', 'scan.failed']);
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SCAN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export interface OpsMetrics {
  registry: Registry;
  setRole(role: 'leader' | 'standby'): void;
  /** Prometheus text exposition, after reading what the store has new. */
  render(): Promise<string>;
  close(): void;
}

export function createOpsMetrics(store: MetricsStore, now: () => Date = () => new Date()): OpsMetrics {
  const registry = new Registry();
  const leader = new Gauge({
    name: 'nhi_leader',
    help: '1 when this nhi serve runs the schedules',
    registers: [registry],
  });
  const calls = new Counter({
    name: 'nhi_provider_calls_total',
    help: 'Provider requests sent by this process',
    labelNames: ['provider', 'operation', 'outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'nhi_provider_call_duration_seconds',
    help: 'Provider request latency (the request only, not a rate limiter wait)',
    labelNames: ['provider', 'operation'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'nhi_provider_retries_total',
    help: 'Provider requests retried (throttled or transient failures)',
    labelNames: ['provider', 'operation'],
    registers: [registry],
  });
  const throttles = new Counter({
    name: 'nhi_provider_throttles_total',
    help: 'Provider requests answered with "slow down" (HTTP 429 / Throttling)',
    labelNames: ['provider'],
    registers: [registry],
  });
  const entries = new Counter({
    name: 'nhi_audit_entries_total',
    help: 'Audit log entries by type (every writer on the store)',
    labelNames: ['type'],
    registers: [registry],
  });
  const headSeq = new Gauge({
    name: 'nhi_audit_head_seq',
    help: 'Seq of the newest audit entry',
    registers: [registry],
  });
  const checkpointAge = new Gauge({
    name: 'nhi_audit_last_checkpoint_age_seconds',
    help: 'Age of the newest signed audit checkpoint',
    registers: [registry],
  });
  const tailIntact = new Gauge({
    name: 'nhi_audit_tail_intact',
    help: '0 once an entry read for metrics did not chain onto the one before (run nhi audit verify)',
    registers: [registry],
  });
  const scans = new Counter({
    name: 'nhi_scans_total',
    help: 'Scans ended, by status',
    labelNames: ['status'],
    registers: [registry],
  });
  const scanDuration = new Histogram({
    name: 'nhi_scan_duration_seconds',
    help: 'Scan duration, start to end',
    labelNames: ['status'],
    buckets: SCAN_BUCKETS,
    registers: [registry],
  });
  const scanIdentities = new Gauge({
    name: 'nhi_scan_identities',
    help: 'Identities seen by the newest scan',
    registers: [registry],
  });
  const runs = new Counter({
    name: 'nhi_runs_total',
    help: 'Recovery runs ended, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const approvals = new Counter({
    name: 'nhi_approvals_total',
    help: 'Owner decisions recorded, by decision',
    labelNames: ['decision'],
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'nhi_refusals_total',
    help: 'Refused requests, decisions, runs and resumes, by rule',
    labelNames: ['kind', 'rule'],
    registers: [registry],
  });
  const findings = new Gauge({
    name: 'nhi_findings_open',
    help: 'Open findings by type and severity',
    labelNames: ['type', 'severity'],
    registers: [registry],
  });
  const deliveries = new Gauge({
    name: 'nhi_webhook_deliveries',
    help: 'Alert and notification deliveries by status',
    labelNames: ['status'],
    registers: [registry],
  });
  tailIntact.set(1);
  leader.set(0);

  const unobserve = observeProviderCalls({
    call(label: CallLabel, outcome: CallOutcome, seconds: number) {
      calls.inc({ provider: label.provider, operation: label.operation, outcome });
      latency.observe({ provider: label.provider, operation: label.operation }, seconds);
      if (outcome === 'throttled') throttles.inc({ provider: label.provider });
    },
    retry(label: CallLabel) {
      retries.inc({ provider: label.provider, operation: label.operation });
    },
  });

  let last: Pick<AuditEntry, 'seq' | 'hash'> | undefined;
  const count = async (e: AuditEntry) => {
    entries.inc({ type: e.type });
    const data = e.data as Record<string, unknown>;
    if (RUN_OUTCOMES.has(e.type)) runs.inc({ outcome: e.type.slice('run.'.length) });
    if (e.type === 'approval.recorded' || e.type === 'review.recorded') {
      approvals.inc({ decision: typeof data.decision === 'string' ? data.decision : 'unknown' });
    }
    if (e.type.endsWith('.refused')) {
      refusals.inc({ kind: e.type.slice(0, -'.refused'.length), rule: String(data.rule ?? 'unknown') });
    }
    if (SCAN_ENDS.has(e.type)) {
      const status = e.type.slice('scan.'.length);
      scans.inc({ status });
      const scan = await store.scans.getScan(e.subject);
      if (scan) {
        const end = Date.parse(scan.finishedAt ?? e.ts);
        scanDuration.observe({ status }, Math.max(0, (end - Date.parse(scan.startedAt)) / 1000));
        scanIdentities.set(scan.identities);
      }
    }
  };

  const readAudit = async () => {
    for await (const e of store.audit.entries(last ? last.seq + 1 : 1)) {
      if (last && (e.seq !== last.seq + 1 || e.prevHash !== last.hash)) tailIntact.set(0);
      await count(e);
      last = { seq: e.seq, hash: e.hash };
    }
    headSeq.set(last?.seq ?? 0);
    const cp = await store.audit.lastCheckpoint();
    if (cp) checkpointAge.set(Math.max(0, (now().getTime() - Date.parse(cp.ts)) / 1000));
  };

  const readState = async () => {
    findings.reset();
    for await (const f of store.findings.iterate({ status: 'open' })) {
      findings.inc({ type: f.type, severity: String((f as { severity?: unknown }).severity ?? 'unknown') });
    }
    deliveries.reset();
    for (const d of await store.deliveries.list()) deliveries.inc({ status: d.status });
  };

  let reading: Promise<void> = Promise.resolve();
  return {
    registry,
    setRole: (role) => leader.set(role === 'leader' ? 1 : 0),
    async render() {
      // One read at a time: two scrapes at once must not count the same entries twice.
      reading = reading
        .catch(() => undefined)
        .then(async () => {
          await readAudit();
          await readState();
        });
      await reading;
      return registry.metrics();
    },
    close: unobserve,
  };
}
