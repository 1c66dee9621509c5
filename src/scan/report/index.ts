import type { ReportSink } from './escape.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import type { ReportSource } from './model.js';
import { renderOcsf } from './ocsf.js';
import { renderSarif } from './sarif.js';
import { renderTerminal } from './table.js';

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

/** Render `report` in `format`, streaming chunks to `write`. Returns the number of findings rendered. */
export function renderReport(format: ReportFormat, report: ReportSource, write: ReportSink): Promise<number> {
  switch (format) {
    case 'json':
      return renderJson(report, write);
    case 'markdown':
      return renderMarkdown(report, write);
    case 'html':
      return renderHtml(report, write);
    case 'sarif':
      return renderSarif(report, write);
    case 'ocsf':
      return renderOcsf(report, write);
    case 'table':
      return renderTerminal(report, write);
  }
}
