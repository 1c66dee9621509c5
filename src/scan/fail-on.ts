/**
 * Why `nhi scan --fail-on S` exited 4: the open findings at or above S among the scanned
 * providers (the ones hasOpenAtLeast counted), by type and severity, and the most severe few.
 * A CI log then says what to fix instead of only that something is wrong.
 */
import type { Severity } from '../config/schema.js';
import type { FindingArea } from '../store/store.js';
import { atLeast, SEVERITIES_DESC, severityRankOf } from './severity.js';

export interface FailingFinding {
  id: string;
  type: string;
  severity: string;
  ref: string;
}

export interface FailOnSummary {
  failOn: Severity;
  count: number;
  /** type -> severity -> count. */
  byType: Record<string, Record<string, number>>;
  /** The most severe first, then by ref. */
  first: FailingFinding[];
}

const FIRST = 5;

function before(a: FailingFinding, b: FailingFinding): number {
  return severityRankOf(b.severity) - severityRankOf(a.severity) || a.ref.localeCompare(b.ref);
}

/** One streamed pass; keeps only the `limit` most severe, so memory does not grow with the estate. */
export async function failOnSummary(
  findings: Pick<FindingArea, 'iterate'>,
  providers: readonly string[],
  failOn: Severity,
  limit = FIRST,
): Promise<FailOnSummary> {
  const summary: FailOnSummary = { failOn, count: 0, byType: {}, first: [] };
  for await (const f of findings.iterate({ status: 'open' })) {
    if (!providers.includes(f.ref.split(':')[0] ?? '') || !atLeast(f.severity, failOn)) continue;
    summary.count++;
    const bySeverity = summary.byType[f.type] ?? {};
    summary.byType[f.type] = bySeverity;
    bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
    summary.first.push({ id: f.id, type: f.type, severity: f.severity, ref: f.ref });
    summary.first.sort(before);
    if (summary.first.length > limit) summary.first.pop();
  }
  return summary;
}

/** The lines for stderr. */
export function failOnLines(s: FailOnSummary): string[] {
  const types = Object.entries(s.byType)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, bySeverity]) => {
      const parts = SEVERITIES_DESC.filter((sev) => bySeverity[sev]).map(
        (sev) => `${bySeverity[sev]} ${sev}`,
      );
      return `${type} (${parts.join(', ')})`;
    });
  const lines = [
    `exit 4: ${s.count} open finding(s) at or above --fail-on ${s.failOn}: ${types.join(', ')}`,
    ...s.first.map((f) => `  ${f.severity.padEnd(8)} ${f.type.padEnd(20)} ${f.ref}`),
  ];
  if (s.count > s.first.length) lines.push(`  ... and ${s.count - s.first.length} more: nhi findings --open`);
  return lines;
}
