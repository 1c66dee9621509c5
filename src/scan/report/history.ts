/**
 * The trend of open findings by severity over recent scans. It is read from the audit log:
 * every scan end (nhi scan and each nhi serve run) records `scan.<status>` with the open
 * counts (src/scan/service.ts), so a store that has scanned before shows a trend at once, and
 * the numbers are the tamper-evident ones. Only scans of the same provider instances count,
 * since a `--provider` subset scan has smaller totals that would read as a drop.
 */
import { SEVERITIES } from '../../config/schema.js';
import type { AuditArea } from '../../store/store.js';
import type { AuditEntry } from '../../store/types.js';

export const SCAN_END_TYPES = ['scan.completed', 'scan.interrupted', 'scan.failed'] as const;

/** Points in a trend, this scan included. */
export const TREND_SCANS = 12;

export interface TrendPoint {
  scanId: string;
  /** When the scan ended (its audit entry's time; for this scan, when it finished). */
  at: string;
  status: string;
  open: number;
  bySeverity: Record<string, number>;
}

export type ScanHistory = Pick<AuditArea, 'latestOfTypes'>;

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

function pointOf(e: AuditEntry, providers: readonly string[]): TrendPoint | undefined {
  const d = e.data;
  const scanned = d.providers;
  const bySeverity = d.openBySeverity;
  if (!Array.isArray(scanned) || !scanned.every((p) => typeof p === 'string')) return undefined;
  if (!sameSet(scanned, providers) || typeof d.open !== 'number') return undefined;
  if (typeof bySeverity !== 'object' || bySeverity === null) return undefined;
  const counts = Object.fromEntries(
    SEVERITIES.map((s) => {
      const n = (bySeverity as Record<string, unknown>)[s];
      return [s, typeof n === 'number' ? n : 0];
    }),
  );
  return {
    scanId: e.subject,
    at: e.ts,
    status: e.type.slice('scan.'.length),
    open: d.open,
    bySeverity: counts,
  };
}

/**
 * The earlier scans of `providers`, oldest first, then `current`: at most TREND_SCANS points.
 * Without a history source (a caller that has none) the trend is just this scan.
 */
export async function scanTrend(
  history: ScanHistory | undefined,
  providers: readonly string[],
  current: TrendPoint,
): Promise<TrendPoint[]> {
  if (!history) return [current];
  // Scans of other provider sets are skipped, so read a few times more than we keep.
  const entries = await history.latestOfTypes(SCAN_END_TYPES, TREND_SCANS * 4);
  const earlier: TrendPoint[] = [];
  for (const e of entries) {
    if (earlier.length >= TREND_SCANS - 1) break;
    if (e.subject === current.scanId) continue;
    const p = pointOf(e, providers);
    if (p) earlier.push(p);
  }
  return [...earlier.reverse(), current];
}
