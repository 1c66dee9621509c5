import type { ReportSink } from './escape.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import type { ReportSource } from './model.js';
import { renderTerminal } from './table.js';

export type { ReportSink } from './escape.js';
export {
  buildReport,
  REPORT_SCHEMA_VERSION,
  type ReportFinding,
  type ReportHeader,
  type ReportSource,
} from './model.js';

export const REPORT_FORMATS = ['table', 'json', 'markdown', 'html'] as const;
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
    case 'table':
      return renderTerminal(report, write);
  }
}
