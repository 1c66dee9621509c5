/**
 * Issue 11 item 6: Unicode bidi controls in provider-supplied names and tags ("Trojan Source":
 * U+202E reverses what follows) came through raw in table, Markdown and HTML reports. Each
 * format shows them as visible \u escapes; JSON keeps the exact value (it is data).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { safeLine } from '../../src/lib/safe-text.js';
import { buildReport, type ReportFormat, renderReport } from '../../src/scan/report/index.js';
import { runScanJob } from '../../src/scan/service.js';
import { FakeProvider } from './fake-provider.js';
import { type TestApp, testApp, testConfig } from './helpers.js';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const CONTROLS = [
  '\u202e',
  '\u202a',
  '\u202d',
  '\u200e',
  '\u200f',
  '\u2066',
  '\u2069',
  '\u061c',
  '\u0085',
  '\u001b',
];
const NAME = `invoice${CONTROLS.join('')}gpj.exe`;
const apps: TestApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function render(format: ReportFormat): Promise<string> {
  const provider = new FakeProvider();
  provider.put(NAME, { owners: [`team\u202eevil`], tags: { owner: `team\u202eevil` } });
  const { config } = testConfig();
  const app = testApp({ providers: [provider], config, now: () => NOW });
  apps.push(app);
  const job = await runScanJob(app, { providers: [], actor: 'test' });
  const report = await buildReport(job.result, app.store.findings, app.config.scan, NOW.toISOString());
  let out = '';
  await renderReport(format, report, (c) => {
    out += c;
  });
  return out;
}

const hasRawControl = (text: string) =>
  /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u0080-\u009f\u001b]/.test(text);

describe('bidi and control characters in provider names (issue 11 item 6)', () => {
  it('safeLine makes every bidi control visible', () => {
    expect(safeLine('a\u202eb\u2066c\u200fd')).toBe('a\\u202eb\\u2066c\\u200fd');
  });

  it.each(['table', 'markdown', 'html'] as const)(
    '%s: no raw control, the name shown with visible escapes',
    async (format) => {
      const out = await render(format);
      // Markdown shows the ref in a code span, whose content is literal (issue 16): the same
      // single-backslash \u escape as the other formats, rendered as typed.
      const bs = '\\';
      expect(out).toContain(`invoice${bs}u202e${bs}u202a${bs}u202d`);
      expect(out).toContain(`${bs}u2069${bs}u061c${bs}u0085${bs}u001bgpj.exe`);
      expect(hasRawControl(out)).toBe(false);
    },
  );

  it('json keeps the exact name as data', async () => {
    const out = await render('json');
    expect(JSON.stringify(JSON.parse(out))).toContain(JSON.stringify(NAME).slice(1, -1));
  });
});
