/**
 * What a scan keeps in memory: counters and per-provider histogram buckets, never the
 * identities themselves. Memory is O(providers x buckets) whatever the estate's size.
 */
import { own } from '../lib/own.js';
import type { IdentityRecord } from '../provider.js';
import { DAY_MS } from './rules.js';

/** Upper bounds (days, exclusive) of the age / last-use buckets; the last bucket is open-ended. */
export const BUCKET_BOUNDS = [30, 90, 180, 365] as const;
export const AGE_BUCKET_LABELS = ['<30d', '30-90d', '90-180d', '180d-1y', '>1y', 'unknown'] as const;
export const LAST_USE_BUCKET_LABELS = [
  '<30d',
  '30-90d',
  '90-180d',
  '180d-1y',
  '>1y',
  'never/unknown',
] as const;

export interface ProviderBuckets {
  identities: number;
  /** Credential age (since last rotation, else creation), counts per AGE_BUCKET_LABELS. */
  age: number[];
  /** Time since last use, counts per LAST_USE_BUCKET_LABELS. */
  lastUse: number[];
}

export interface ScanCounters {
  identities: number;
  byState: Record<string, number>;
  byTier: Record<string, number>;
  providers: Record<string, ProviderBuckets>;
  findingsOpened: number;
  findingsChanged: number;
  findingsResolved: number;
}

export function bucketIndex(iso: string | undefined, now: Date): number {
  const t = iso ? Date.parse(iso) : Number.NaN;
  if (!Number.isFinite(t)) return BUCKET_BOUNDS.length + 1;
  const days = (now.getTime() - t) / DAY_MS;
  const i = BUCKET_BOUNDS.findIndex((b) => days < b);
  return i < 0 ? BUCKET_BOUNDS.length : i;
}

export function emptyCounters(): ScanCounters {
  return {
    identities: 0,
    byState: {},
    byTier: {},
    providers: {},
    findingsOpened: 0,
    findingsChanged: 0,
    findingsResolved: 0,
  };
}

export function countIdentity(c: ScanCounters, rec: IdentityRecord, tier: string, now: Date): void {
  c.identities++;
  c.byState[rec.state] = (c.byState[rec.state] ?? 0) + 1;
  c.byTier[tier] = (c.byTier[tier] ?? 0) + 1;
  let p = own(c.providers, rec.instance);
  if (!p) {
    p = { identities: 0, age: AGE_BUCKET_LABELS.map(() => 0), lastUse: LAST_USE_BUCKET_LABELS.map(() => 0) };
    c.providers[rec.instance] = p;
  }
  p.identities++;
  const age = bucketIndex(rec.lastRotatedAt ?? rec.createdAt, now);
  const used = bucketIndex(rec.lastUsedAt, now);
  p.age[age] = (p.age[age] ?? 0) + 1;
  p.lastUse[used] = (p.lastUse[used] ?? 0) + 1;
}
