/**
 * The findings lifecycle: a finding is identified by (type, ref), so the same problem seen by
 * every nightly scan is one row whose lastSeen moves on. New and re-opened findings, and
 * findings whose severity changed, are what a scan alerts on (dedup across scans).
 */
import { createHash } from 'node:crypto';
import type { FindingType } from '../config/schema.js';
import type { IdentityRecord } from '../provider.js';
import type { FindingRecord } from '../store/types.js';
import type { FindingDraft } from './rules.js';

/** Stable id: the same type and ref give the same id in every scan and on every machine. */
export function findingId(type: FindingType, ref: string): string {
  return `fnd_${createHash('sha256').update(`${type}\u0000${ref}`).digest('hex').slice(0, 32)}`;
}

export interface AlertCandidate {
  kind: 'new' | 'changed';
  finding: FindingRecord;
  previousSeverity?: string;
}

export interface Reconciliation {
  upserts: FindingRecord[];
  alerts: AlertCandidate[];
  opened: number;
  resolved: number;
}

export interface ReconcileContext {
  now: string;
  /** Who to contact for a new or updated finding. */
  contacts: string[];
  /** An open finding not raised this time that should stay open (e.g. a re-enable not yet acted on). */
  keepOpen?: (finding: FindingRecord) => boolean;
}

/**
 * Merge this scan's drafts for one ref with the stored findings of the types the caller
 * evaluated (`existing`, keyed by type; absent = never seen). Types not in `existing` are
 * left alone.
 */
export function reconcile(
  ref: string,
  drafts: readonly FindingDraft[],
  existing: ReadonlyMap<FindingType, FindingRecord | undefined>,
  ctx: ReconcileContext,
): Reconciliation {
  const out: Reconciliation = { upserts: [], alerts: [], opened: 0, resolved: 0 };
  const raised = new Set<FindingType>();
  for (const d of drafts) {
    raised.add(d.type);
    const prior = existing.get(d.type);
    const common = {
      severity: d.severity,
      summary: d.summary,
      evidence: d.evidence,
      owners: ctx.contacts,
      lastSeen: ctx.now,
    };
    if (prior?.status === 'acknowledged' && !isNewOccurrence(prior, d)) {
      // Acknowledged and the provider still reports the use that was acknowledged: stays closed.
      out.upserts.push({ ...prior, ...common, status: 'acknowledged' });
      continue;
    }
    if (prior && prior.status === 'open') {
      const next: FindingRecord = { ...prior, ...common };
      out.upserts.push(next);
      if (prior.severity !== d.severity)
        out.alerts.push({ kind: 'changed', finding: next, previousSeverity: prior.severity });
      continue;
    }
    const next: FindingRecord = {
      id: findingId(d.type, ref),
      type: d.type,
      ref,
      status: 'open',
      firstSeen: ctx.now,
      ...common,
      ...(prior?.resolvedAt
        ? { evidence: { ...d.evidence, reopenedAfterResolvedAt: prior.resolvedAt } }
        : {}),
      ...(prior?.status === 'acknowledged'
        ? { evidence: { ...d.evidence, reopenedAfterAckAt: prior.acks?.at(-1)?.at } }
        : {}),
      // The acknowledgment history survives a re-open: audit verify cross-checks every ack.
      ...(prior?.acks ? { acks: prior.acks } : {}),
    };
    out.upserts.push(next);
    out.alerts.push({ kind: 'new', finding: next });
    out.opened++;
  }
  for (const [type, prior] of existing) {
    if (raised.has(type) || !prior || prior.status !== 'open') continue;
    if (ctx.keepOpen?.(prior)) {
      out.upserts.push({ ...prior, lastSeen: ctx.now });
      continue;
    }
    out.upserts.push(resolvedFinding(prior, ctx.now));
    out.resolved++;
  }
  return out;
}

/** The latest `lastUsedAt` among a revoked-use finding's `evidence.uses` (ISO strings compare by time). */
export function latestUse(evidence: Record<string, unknown>): string | undefined {
  const uses = Array.isArray(evidence.uses) ? (evidence.uses as { lastUsedAt?: unknown }[]) : [];
  let latest: string | undefined;
  for (const u of uses) {
    const at = typeof u.lastUsedAt === 'string' ? u.lastUsedAt : undefined;
    if (at && (!latest || Date.parse(at) > Date.parse(latest))) latest = at;
  }
  return latest;
}

/**
 * A use later than the one the last acknowledgment saw re-opens an acknowledged finding:
 * the holder of the revoked credential used it again after someone looked.
 */
export function isNewOccurrence(prior: FindingRecord, draft: FindingDraft): boolean {
  const acked = prior.acks?.at(-1)?.lastUseAt;
  const now = latestUse(draft.evidence);
  if (!now) return false;
  return !acked || Date.parse(now) > Date.parse(acked);
}

export function resolvedFinding(f: FindingRecord, now: string): FindingRecord {
  const { resolvedAt: _drop, ...rest } = f;
  return { ...rest, status: 'resolved', resolvedAt: now };
}

/**
 * A re-enable is an event, not a state: it stays open while the identity stays enabled and
 * has not been rotated since the finding was first seen (docs/adr/051-finding-severity.md).
 */
export function keepReenabledOpen(rec: IdentityRecord): (f: FindingRecord) => boolean {
  return (f) =>
    f.type === 'reenabled' &&
    rec.state === 'enabled' &&
    !(rec.lastRotatedAt !== undefined && Date.parse(rec.lastRotatedAt) > Date.parse(f.firstSeen));
}

/** What a snapshot keeps of an identity: state and dates, no version list, never a value. */
export function snapshotOf(
  rec: IdentityRecord,
  tier: string,
  principals: readonly string[],
): Record<string, unknown> {
  return {
    ref: rec.ref,
    provider: rec.provider,
    instance: rec.instance,
    kind: rec.kind,
    name: rec.name,
    state: rec.state,
    owners: rec.owners,
    principals,
    tier,
    createdAt: rec.createdAt,
    lastUsedAt: rec.lastUsedAt,
    lastUsedSignal: rec.lastUsedSignal,
    lastUsedConfidence: rec.lastUsedConfidence,
    lastRotatedAt: rec.lastRotatedAt,
    expiresAt: rec.expiresAt,
    currentVersion: rec.currentVersion,
    fingerprint: rec.fingerprint,
    versionCount: rec.versions.length,
    tags: rec.tags,
  };
}
