/**
 * The report model shared by every format (docs/report-schema.md). The header is built from
 * the scan's counters; findings are streamed from the store, most severe first, so a report
 * over a large estate never holds all findings in memory.
 */
import { FINDING_TYPES, type ParsedConfig, SEVERITIES } from '../../config/schema.js';
import { own } from '../../lib/own.js';
import type { FindingArea } from '../../store/store.js';
import type { FindingRecord } from '../../store/types.js';
import type { ScanResult } from '../run.js';
import { SEVERITIES_DESC } from '../severity.js';
import { AGE_BUCKET_LABELS, LAST_USE_BUCKET_LABELS, type ProviderBuckets } from '../stats.js';
import { type ScanHistory, scanTrend, type TrendPoint } from './history.js';

export type { TrendPoint } from './history.js';

/**
 * 2: `revoked-possibly-used`, `acknowledged` findings and `summary.findings.acknowledged`; later
 * additions within 2: `scan.providerTypes`, `summary.byOwner`, `charts.trend` (docs/report-schema.md).
 */
export const REPORT_SCHEMA_VERSION = 2;

export interface ReportHeader {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  generatedAt: string;
  scan: {
    id: string;
    status: string;
    startedAt: string;
    finishedAt?: string;
    providers: string[];
    /** Provider type (`aws`, `vault`, `azure`) per scanned instance, where the caller knows it. */
    providerTypes: Record<string, string>;
    identities: number;
    errors: { provider: string; message: string }[];
  };
  thresholds: ParsedConfig['scan'];
  summary: {
    identities: number;
    byState: Record<string, number>;
    byTier: Record<string, number>;
    findings: {
      open: number;
      bySeverity: Record<string, number>;
      byType: Record<string, number>;
      /** New or re-opened in this scan. */
      opened: number;
      /** Open findings whose severity changed in this scan. */
      changed: number;
      resolved: number;
      /** Incident findings closed by `nhi findings ack` (listed after the open ones). */
      acknowledged: number;
    };
    /** Open findings per contact (a finding with two owners counts for both), most severe first. */
    byOwner: OwnerCount[];
  };
  charts: {
    ageBuckets: string[];
    lastUseBuckets: string[];
    providers: Record<string, ProviderBuckets>;
    /** Open findings by severity at the end of recent scans of the same providers, oldest first, this scan last. */
    trend: TrendPoint[];
  };
}

export interface OwnerCount {
  /** The contact; "" for findings nobody can be contacted about. */
  owner: string;
  open: number;
  bySeverity: Record<string, number>;
}

/** What buildReport reads besides the scan result: the scan history and the provider types. */
export interface ReportContext {
  history?: ScanHistory;
  providerTypes?: Record<string, string>;
}

/** The context a scan job passes: its store's audit log and its configured provider types. */
export function reportContextOf(app: {
  store: { audit: ScanHistory };
  config: { providers: Record<string, { type: string }> };
}): ReportContext {
  return {
    history: app.store.audit,
    providerTypes: Object.fromEntries(Object.entries(app.config.providers).map(([n, p]) => [n, p.type])),
  };
}

export interface ReportFinding {
  id: string;
  type: string;
  severity: string;
  status: string;
  ref: string;
  owners: string[];
  summary: string;
  firstSeen: string;
  lastSeen: string;
  resolvedAt?: string;
  /** First seen (or re-opened) by this scan. */
  isNew: boolean;
  evidence: Record<string, unknown>;
  /** The acknowledgment that closed it (status `acknowledged`): who, when, why, signed or not. */
  acknowledged?: { by: string; at: string; reason: string; signed: boolean };
}

export interface ReportSource {
  header: ReportHeader;
  /** Open findings of the scanned providers, most severe first, then by ref; then the acknowledged ones. */
  findings(): AsyncIterable<ReportFinding>;
}

function inScope(ref: string, providers: readonly string[]): boolean {
  return providers.includes(ref.split(':')[0] ?? '');
}

export function toReportFinding(f: FindingRecord, scanStartedAt: string): ReportFinding {
  const ack = f.status === 'acknowledged' ? f.acks?.at(-1) : undefined;
  const acknowledged = ack && {
    by: ack.by,
    at: ack.at,
    reason: ack.reason,
    signed: ack.actorProof !== undefined,
  };
  return {
    id: f.id,
    type: f.type,
    severity: f.severity,
    status: f.status,
    ref: f.ref,
    owners: f.owners,
    summary: f.summary,
    firstSeen: f.firstSeen,
    lastSeen: f.lastSeen,
    ...(f.resolvedAt ? { resolvedAt: f.resolvedAt } : {}),
    isNew: f.firstSeen >= scanStartedAt,
    evidence: f.evidence,
    // Every format renders the summary; the prefix is how the table, Markdown and HTML show the ack.
    ...(acknowledged
      ? {
          acknowledged,
          summary: `ACKNOWLEDGED by ${acknowledged.by}${acknowledged.signed ? ' (signed)' : ''} at ${acknowledged.at.slice(0, 19)}: ${acknowledged.reason} — ${f.summary}`,
        }
      : {}),
  };
}

const severityCounts = (): Record<string, number> => Object.fromEntries(SEVERITIES.map((s) => [s, 0]));

/** Most severe first: more critical, then more high, ...; then by name. */
function byWeight(a: OwnerCount, b: OwnerCount): number {
  for (const s of SEVERITIES_DESC) {
    const d = (b.bySeverity[s] ?? 0) - (a.bySeverity[s] ?? 0);
    if (d !== 0) return d;
  }
  return a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0;
}

/** Counts of open findings per severity, type and owner for the scanned providers (one streamed pass). */
export async function openFindingCounts(
  findings: Pick<FindingArea, 'iterate'>,
  providers: readonly string[],
): Promise<{
  open: number;
  bySeverity: Record<string, number>;
  byType: Record<string, number>;
  acknowledged: number;
  byOwner: OwnerCount[];
}> {
  const bySeverity = severityCounts();
  const byType: Record<string, number> = Object.fromEntries(FINDING_TYPES.map((t) => [t, 0]));
  // A Map, not a record: owner names come from provider tags ("__proto__" is a valid tag value).
  const owners = new Map<string, OwnerCount>();
  let open = 0;
  for await (const f of findings.iterate({ status: 'open' })) {
    if (!inScope(f.ref, providers)) continue;
    open++;
    bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
    byType[f.type] = (byType[f.type] ?? 0) + 1;
    for (const owner of f.owners.length > 0 ? new Set(f.owners) : ['']) {
      const c = owners.get(owner) ?? { owner, open: 0, bySeverity: severityCounts() };
      owners.set(owner, c);
      c.open++;
      c.bySeverity[f.severity] = (c.bySeverity[f.severity] ?? 0) + 1;
    }
  }
  let acknowledged = 0;
  for await (const f of findings.iterate({ status: 'acknowledged' }))
    if (inScope(f.ref, providers)) acknowledged++;
  return { open, bySeverity, byType, acknowledged, byOwner: [...owners.values()].sort(byWeight) };
}

export async function buildReport(
  result: ScanResult,
  findings: Pick<FindingArea, 'iterate'>,
  thresholds: ParsedConfig['scan'],
  generatedAt: string,
  context: ReportContext = {},
): Promise<ReportSource> {
  const scan = result.scan;
  const { byOwner, ...counts } = await openFindingCounts(findings, scan.providers);
  const c = result.counters;
  const trend = await scanTrend(context.history, scan.providers, {
    scanId: scan.id,
    at: scan.finishedAt ?? generatedAt,
    status: scan.status,
    open: counts.open,
    bySeverity: counts.bySeverity,
  });
  const providerTypes = Object.fromEntries(
    scan.providers.flatMap((p) => {
      const t = context.providerTypes && own(context.providerTypes, p);
      return t ? [[p, t]] : [];
    }),
  );
  const header: ReportHeader = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt,
    scan: {
      id: scan.id,
      status: scan.status,
      startedAt: scan.startedAt,
      ...(scan.finishedAt ? { finishedAt: scan.finishedAt } : {}),
      providers: scan.providers,
      providerTypes,
      identities: c.identities,
      errors: result.errors,
    },
    thresholds,
    summary: {
      identities: c.identities,
      byState: c.byState,
      byTier: c.byTier,
      findings: {
        ...counts,
        opened: c.findingsOpened,
        changed: c.findingsChanged,
        resolved: c.findingsResolved,
      },
      byOwner,
    },
    charts: {
      ageBuckets: [...AGE_BUCKET_LABELS],
      lastUseBuckets: [...LAST_USE_BUCKET_LABELS],
      providers: c.providers,
      trend,
    },
  };
  return {
    header,
    async *findings() {
      for (const status of ['open', 'acknowledged'] as const) {
        for (const severity of SEVERITIES_DESC) {
          for await (const f of findings.iterate({ status, severity })) {
            if (inScope(f.ref, scan.providers)) yield toReportFinding(f, scan.startedAt);
          }
        }
      }
    },
  };
}
