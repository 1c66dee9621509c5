/** The JSON report: schema in docs/report-schema.md; findings streamed one per line. */
import { jsonLine, type ReportSink } from './escape.js';
import type { ReportSource } from './model.js';

export async function renderJson(report: ReportSource, write: ReportSink): Promise<number> {
  const header = jsonLine(report.header);
  await write(`${header.slice(0, -1)},"findings":[`);
  let n = 0;
  for await (const f of report.findings()) {
    await write(`${n === 0 ? '' : ','}\n${jsonLine(f)}`);
    n++;
  }
  await write(`${n === 0 ? '' : '\n'}],"findingCount":${n}}\n`);
  return n;
}
