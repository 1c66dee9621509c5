/**
 * The per-identity finding rules (DESIGN.md "Scans and findings"). Pure: an identity, its
 * tier and owners, the previous snapshot and the thresholds in; finding drafts out.
 * `revoked-still-used` needs lineage and provider calls and lives in revoked-use.ts.
 */
import type { OwnerResolution } from '../approval/owners/owners.js';
import type { TierDecision } from '../approval/owners/tiers.js';
import type { FindingType, Severity, Thresholds } from '../config/schema.js';
import type { IdentityRecord } from '../provider.js';
import type { SnapshotRecord } from '../store/types.js';
import { severityFor } from './severity.js';

export const DAY_MS = 86_400_000;

export interface FindingDraft {
  type: FindingType;
  severity: Severity;
  summary: string;
  evidence: Record<string, unknown>;
}

export interface RuleContext {
  tier: TierDecision;
  owners: OwnerResolution;
  /** The latest snapshot from an earlier scan, if the identity was seen before. */
  previous?: SnapshotRecord | undefined;
  thresholds: Thresholds;
  now: Date;
}

/** Whole days from `iso` to `now` (floor); undefined when the date is missing or unparsable. */
export function daysSince(iso: string | undefined, now: Date): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? Math.floor((now.getTime() - t) / DAY_MS) : undefined;
}

function olderThan(iso: string | undefined, days: number, now: Date): boolean {
  const t = iso ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(t) && now.getTime() - t > days * DAY_MS;
}

export function evaluateIdentity(rec: IdentityRecord, ctx: RuleContext): FindingDraft[] {
  const out: FindingDraft[] = [];
  const tier = ctx.tier.tier;
  const base = { tier, ...(ctx.tier.because ? { tierReason: ctx.tier.because } : {}) };
  const push = (type: FindingType, summary: string, evidence: Record<string, unknown>, weak = false) =>
    out.push({ type, severity: severityFor(type, tier, weak), summary, evidence: { ...base, ...evidence } });

  if (rec.state === 'enabled') {
    const dormant = dormantDraft(rec, ctx);
    if (dormant) push('dormant', dormant.summary, dormant.evidence);

    const rotatedBasis = rec.lastRotatedAt ? 'lastRotatedAt' : 'createdAt';
    const rotated = rec.lastRotatedAt ?? rec.createdAt;
    if (olderThan(rotated, ctx.thresholds.maxAgeDays, ctx.now)) {
      const age = daysSince(rotated, ctx.now);
      push(
        'long-lived',
        `not rotated for ${age} days (${rotatedBasis}; limit ${ctx.thresholds.maxAgeDays} d)`,
        {
          basis: rotatedBasis,
          ...(rec.lastRotatedAt ? { lastRotatedAt: rec.lastRotatedAt } : {}),
          ...(rec.createdAt ? { createdAt: rec.createdAt } : {}),
          ageDays: age,
          thresholdDays: ctx.thresholds.maxAgeDays,
        },
      );
    }

    if (rec.expiresAt && Date.parse(rec.expiresAt) < ctx.now.getTime()) {
      const ago = daysSince(rec.expiresAt, ctx.now);
      push('expired-enabled', `expired ${ago} day(s) ago (${rec.expiresAt}) and still enabled`, {
        expiresAt: rec.expiresAt,
        expiredDaysAgo: ago,
      });
    }

    const reenabled = reenabledDraft(rec, ctx);
    if (reenabled) push('reenabled', reenabled.summary, reenabled.evidence, reenabled.weak);
  }

  if (rec.state !== 'deleted') {
    const { principals, unknown } = ctx.owners;
    if (principals.length === 0) {
      const summary =
        rec.owners.length === 0
          ? 'no owner: no owner tag / metadata and no registered principal'
          : `owner not in registry: ${unknown.join(', ')}`;
      push('orphaned', summary, {
        reason: rec.owners.length === 0 ? 'no-owner' : 'unknown-owner',
        tagOwners: rec.owners,
        unknown,
      });
    } else if (unknown.length > 0) {
      push(
        'orphaned',
        `some owners are not in the registry: ${unknown.join(', ')}`,
        {
          reason: 'some-owners-unknown',
          tagOwners: rec.owners,
          unknown,
        },
        true,
      );
    }
  }
  return out;
}

function dormantDraft(
  rec: IdentityRecord,
  ctx: RuleContext,
): Omit<FindingDraft, 'type' | 'severity'> | undefined {
  const limit = ctx.thresholds.dormantDays;
  const signal = {
    signal: rec.lastUsedSignal ?? null,
    confidence: rec.lastUsedConfidence,
    thresholdDays: limit,
  };
  if (rec.lastUsedAt) {
    if (!olderThan(rec.lastUsedAt, limit, ctx.now)) return undefined;
    const days = daysSince(rec.lastUsedAt, ctx.now);
    return {
      summary: `not used for ${days} days (last use ${rec.lastUsedAt.slice(0, 10)} per ${rec.lastUsedSignal ?? 'provider'}, confidence ${rec.lastUsedConfidence}; limit ${limit} d)`,
      evidence: { ...signal, basis: 'last-use', lastUsedAt: rec.lastUsedAt, daysSinceUse: days },
    };
  }
  if (!olderThan(rec.createdAt, limit, ctx.now)) return undefined;
  const age = daysSince(rec.createdAt, ctx.now);
  const summary =
    rec.lastUsedConfidence === 'none'
      ? `no last-use signal: age-based (created ${age} days ago; limit ${limit} d)`
      : `never used per ${rec.lastUsedSignal ?? 'provider'} (confidence ${rec.lastUsedConfidence}), created ${age} days ago; limit ${limit} d`;
  return {
    summary,
    evidence: {
      ...signal,
      basis: rec.lastUsedConfidence === 'none' ? 'age (no last-use signal)' : 'never-used',
      createdAt: rec.createdAt,
      ageDays: age,
    },
  };
}

function reenabledDraft(
  rec: IdentityRecord,
  ctx: RuleContext,
): (Omit<FindingDraft, 'type' | 'severity'> & { weak: boolean }) | undefined {
  const prev = ctx.previous;
  const prevState = prev?.record.state;
  if (prev && (prevState === 'disabled' || prevState === 'deleted')) {
    return {
      summary: `re-enabled: was ${prevState} at the previous scan (${prev.seenAt}), enabled now`,
      evidence: {
        source: 'snapshot',
        previousState: prevState,
        previousSeenAt: prev.seenAt,
        previousScanId: prev.scanId,
      },
      weak: false,
    };
  }
  // Provider evidence catches a disable-then-enable that happened entirely between two scans.
  // Evidence older than the previous scan was already judged then (the finding is sticky).
  const since = prev ? Date.parse(prev.seenAt) : Number.NEGATIVE_INFINITY;
  const fresh = (rec.reenableEvidence ?? []).filter((e) => !e.at || !(Date.parse(e.at) <= since));
  if (fresh.length === 0) return undefined;
  return {
    summary: `re-enabled per provider evidence: ${fresh.map((e) => (e.at ? `${e.at} ${e.detail}` : e.detail)).join('; ')}`,
    evidence: {
      source: 'provider',
      items: fresh.map((e) => ({ ...(e.at ? { at: e.at } : {}), detail: e.detail })),
    },
    weak: true,
  };
}
