/**
 * Scan alerts (docs/adr/053-scan-alerts.md). A scan alerts only on findings that are new,
 * re-opened, or changed severity. The first scan of a large estate can raise thousands, so
 * the most severe DETAILED_ALERT_LIMIT go out one event each and the rest as one digest.
 */
import type { FindingType, Severity, WebhookTarget } from '../config/schema.js';
import type { Notifier, NotifyEvent, NotifyOutcome } from '../notify/notifier.js';
import type { AlertCandidate } from './findings.js';
import { atLeast, isSeverity, severityRankOf } from './severity.js';

export const DETAILED_ALERT_LIMIT = 50;

export interface AlertFilter {
  /** Finding types to alert on; empty = all. */
  types: readonly FindingType[];
  minSeverity: Severity;
}

export const ALERT_EVERYTHING: AlertFilter = { types: [], minSeverity: 'info' };

/**
 * Keeps, per finding type, the most severe candidates (bounded), and a count of all of them
 * per type and severity. Per type, because a schedule may filter by type: the most severe
 * candidates that pass any type + minimum-severity filter are always among those kept.
 */
export class AlertQueue {
  readonly #limit: number;
  readonly #top = new Map<string, AlertCandidate[]>();
  readonly #counts = new Map<string, number>();

  constructor(limit = DETAILED_ALERT_LIMIT) {
    this.#limit = limit;
  }

  add(c: AlertCandidate): void {
    const key = `${c.finding.type}|${c.finding.severity}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    let list = this.#top.get(c.finding.type);
    if (!list) {
      list = [];
      this.#top.set(c.finding.type, list);
    }
    const rank = severityRankOf(c.finding.severity);
    const at = list.findIndex((t) => severityRankOf(t.finding.severity) < rank);
    if (at < 0) {
      if (list.length < this.#limit) list.push(c);
      return;
    }
    list.splice(at, 0, c);
    if (list.length > this.#limit) list.pop();
  }

  get size(): number {
    let n = 0;
    for (const v of this.#counts.values()) n += v;
    return n;
  }

  /** The most severe candidates passing the filter, at most the limit, most severe first. */
  detailed(filter: AlertFilter): AlertCandidate[] {
    const all = [...this.#top.values()]
      .flat()
      .filter((c) => passes(filter, c.finding.type, c.finding.severity));
    // Stable sort: within one severity, candidates keep the order they were found in.
    return all
      .sort((a, b) => severityRankOf(b.finding.severity) - severityRankOf(a.finding.severity))
      .slice(0, this.#limit);
  }

  /** Counts per "type|severity" of every candidate that passes the filter. */
  counts(filter: AlertFilter): Map<string, number> {
    const out = new Map<string, number>();
    for (const [key, n] of this.#counts) {
      const [type = '', severity = ''] = key.split('|');
      if (passes(filter, type, severity)) out.set(key, n);
    }
    return out;
  }
}

function passes(filter: AlertFilter, type: string, severity: string): boolean {
  if (filter.types.length > 0 && !(filter.types as readonly string[]).includes(type)) return false;
  return isSeverity(severity) && atLeast(severity, filter.minSeverity);
}

/**
 * For a plain `nhi scan` (no schedule): the notify targets that opted in to finding events
 * by listing "finding" (or a "finding.*" event) in their `events`. A target with an empty
 * `events` list gets every event a caller names it for, but is not named by ad-hoc scans.
 */
export function findingTargets(notify: Readonly<Record<string, WebhookTarget>>): string[] {
  return Object.entries(notify)
    .filter(([, t]) => t.events.some((e) => e === 'finding' || e.startsWith('finding.')))
    .map(([name]) => name);
}

export function alertEvent(c: AlertCandidate, scanId: string): NotifyEvent {
  const f = c.finding;
  return {
    event: c.kind === 'new' ? 'finding.new' : 'finding.changed',
    severity: f.severity as Severity,
    subject: f.ref,
    summary: `[${f.type}] ${f.ref}: ${f.summary}`,
    data: {
      scanId,
      findingId: f.id,
      type: f.type,
      ref: f.ref,
      severity: f.severity,
      ...(c.previousSeverity ? { previousSeverity: c.previousSeverity } : {}),
      owners: f.owners,
      firstSeen: f.firstSeen,
      lastSeen: f.lastSeen,
      evidence: f.evidence,
    },
  };
}

export async function sendScanAlerts(
  notifier: Notifier,
  targets: readonly string[],
  queue: AlertQueue,
  filter: AlertFilter,
  scanId: string,
): Promise<NotifyOutcome[]> {
  if (targets.length === 0 || queue.size === 0) return [];
  const outcomes: NotifyOutcome[] = [];
  const detailed = queue.detailed(filter);
  for (const c of detailed) outcomes.push(...(await notifier.notify(targets, alertEvent(c, scanId))));
  const counts = queue.counts(filter);
  let total = 0;
  for (const n of counts.values()) total += n;
  const rest = total - detailed.length;
  if (rest > 0) {
    const sentKeys = new Map<string, number>();
    for (const c of detailed) {
      const k = `${c.finding.type}|${c.finding.severity}`;
      sentKeys.set(k, (sentKeys.get(k) ?? 0) + 1);
    }
    const remaining: Record<string, number> = {};
    let worst: Severity = 'info';
    for (const [k, n] of counts) {
      const left = n - (sentKeys.get(k) ?? 0);
      if (left <= 0) continue;
      remaining[k] = left;
      const sev = k.split('|')[1] ?? 'info';
      if (isSeverity(sev) && severityRankOf(sev) > severityRankOf(worst)) worst = sev;
    }
    outcomes.push(
      ...(await notifier.notify(targets, {
        event: 'finding.digest',
        severity: worst,
        subject: scanId,
        summary: `${rest} more new or changed finding(s) in scan ${scanId} (run "nhi findings --open")`,
        data: { scanId, remaining },
      })),
    );
  }
  return outcomes;
}
