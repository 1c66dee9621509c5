/**
 * The report model shared by every format (docs/report-schema.md). The header is built from
 * the scan's counters; findings are streamed from the store, most severe first, so a report
 * over a large estate never holds all findings in memory.
 */
import { FINDING_TYPES, type ParsedConfig, SEVERITIES } from '../../config/schema.js';
import type { FindingArea } from '../../store/store.js';
import type { FindingRecord } from '../../store/types.js';
import type { ScanResult } from '../run.js';
import { SEVERITIES_DESC } from '../severity.js';
import { AGE_BUCKET_LABELS, LAST_USE_BUCKET_LABELS, type ProviderBuckets } from '../stats.js';

/** 2: `revoked-possibly-used`, `acknowledged` findings and `summary.findings.acknowledged` (docs/report-schema.md). */
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
  };
  charts: {
    ageBuckets: string[];
    lastUseBuckets: string[];
    providers: Record<string, ProviderBuckets>;
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

/** Counts of open findings per severity and type for the scanned providers (one streamed pass). */
export async function openFindingCounts(
  findings: Pick<FindingArea, 'iterate'>,
  providers: readonly string[],
): Promise<{
  open: number;
  bySeverity: Record<string, number>;
  byType: Record<string, number>;
  acknowledged: number;
}> {
  const bySeverity: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  const byType: Record<string, number> = Object.fromEntries(FINDING_TYPES.map((t) => [t, 0]));
  let open = 0;
  for await (const f of findings.iterate({ status: 'open' })) {
    if (!inScope(f.ref, providers)) continue;
    open++;
    bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
    byType[f.type] = (byType[f.type] ?? 0) + 1;
  }
  let acknowledged = 0;
  for await (const f of findings.iterate({ status: 'acknowledged' }))
    if (inScope(f.ref, providers)) acknowledged++;
  return { open, bySeverity, byType, acknowledged };
}

export async function buildReport(
  result: ScanResult,
  findings: Pick<FindingArea, 'iterate'>,
  thresholds: ParsedConfig['scan'],
  generatedAt: string,
): Promise<ReportSource> {
  const scan = result.scan;
  const counts = await openFindingCounts(findings, scan.providers);
  const c = result.counters;
  const header: ReportHeader = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt,
    scan: {
      id: scan.id,
      status: scan.status,
      startedAt: scan.startedAt,
      ...(scan.finishedAt ? { finishedAt: scan.finishedAt } : {}),
      providers: scan.providers,
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
    },
    charts: {
      ageBuckets: [...AGE_BUCKET_LABELS],
      lastUseBuckets: [...LAST_USE_BUCKET_LABELS],
      providers: c.providers,
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
