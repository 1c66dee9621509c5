import type { ReportSink } from './escape.js';
import type { ReportSource } from './model.js';

export type { ReportSink } from './escape.js';
export {
  buildReport,
  type OwnerCount,
  REPORT_SCHEMA_VERSION,
  type ReportContext,
  type ReportFinding,
  type ReportHeader,
  type ReportSource,
  reportContextOf,
  type TrendPoint,
} from './model.js';

/** sarif: SARIF 2.1.0 (GitHub code scanning); ocsf: OCSF Detection Findings, one per line (ADR 055). */
export const REPORT_FORMATS = ['table', 'json', 'markdown', 'html', 'sarif', 'ocsf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * Render `report` in `format`, streaming chunks to `write`. Returns the number of findings
 * rendered. Each renderer loads when its format is asked for: a scan does not pay at start for
 * five formats it will not print (issue 17).
 */
export async function renderReport(
  format: ReportFormat,
  report: ReportSource,
  write: ReportSink,
): Promise<number> {
  switch (format) {
    case 'json':
      return (await import('./json.js')).renderJson(report, write);
    case 'markdown':
      return (await import('./markdown.js')).renderMarkdown(report, write);
    case 'html':
      return (await import('./html.js')).renderHtml(report, write);
    case 'sarif':
      return (await import('./sarif.js')).renderSarif(report, write);
    case 'ocsf':
      return (await import('./ocsf.js')).renderOcsf(report, write);
    case 'table':
      return (await import('./table.js')).renderTerminal(report, write);
  }
}
