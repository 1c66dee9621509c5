import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildReport,
  REPORT_SCHEMA_VERSION,
  type ReportFormat,
  renderReport,
} from '../../src/scan/report/index.js';
import { runScanJob } from '../../src/scan/service.js';
import { FakeProvider } from './fake-provider.js';
import { CANARY, type TestApp, testApp, testConfig } from './helpers.js';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const HOSTILE = '<script>alert("x")</script>|`*_\u001b[31mred';
const apps: TestApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function scanned() {
  const provider = new FakeProvider();
  provider.put('plain');
  provider.put(HOSTILE, {
    owners: ['<img src=x onerror=alert(1)>'],
    tags: { owner: HOSTILE },
    fingerprint: CANARY,
  });
  provider.put('priv-old', {
    tags: { tier: 'privileged' },
    lastRotatedAt: '2024-01-01T00:00:00.000Z',
    lastUsedAt: undefined,
    createdAt: '2024-01-01T00:00:00.000Z',
  });
  const { config, dir } = testConfig();
  const app = testApp({ providers: [provider], config, now: () => NOW });
  apps.push(app);
  return { app, dir };
}

async function render(app: TestApp, format: ReportFormat): Promise<string> {
  const job = await runScanJob(app, { providers: [], actor: 'test' });
  const report = await buildReport(job.result, app.store.findings, app.config.scan, NOW.toISOString());
  let out = '';
  await renderReport(format, report, (c) => {
    out += c;
  });
  return out;
}

describe('scan reports', () => {
  it('JSON: documented schema with schemaVersion, findings most severe first', async () => {
    const { app } = await scanned();
    const doc = JSON.parse(await render(app, 'json'));
    expect(doc.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(Object.keys(doc)).toEqual([
      'schemaVersion',
      'generatedAt',
      'scan',
      'thresholds',
      'summary',
      'charts',
      'findings',
      'findingCount',
    ]);
    expect(doc.scan).toMatchObject({ status: 'completed', providers: ['fake'], identities: 3 });
    expect(doc.charts.ageBuckets).toHaveLength(6);
    expect(doc.charts.providers.fake.age.reduce((a: number, b: number) => a + b, 0)).toBe(3);
    const ranks = doc.findings.map((f: { severity: string }) =>
      ['info', 'low', 'medium', 'high', 'critical'].indexOf(f.severity),
    );
    expect(ranks).toEqual([...ranks].sort((a: number, b: number) => b - a));
    expect(doc.findingCount).toBe(doc.findings.length);
    expect(doc.summary.findings.open).toBe(doc.findings.length);
    expect(doc.findings[0]).toHaveProperty('isNew', true);
    expect(JSON.stringify(doc)).not.toContain(CANARY);
  });

  it('HTML: self-contained, every provider string escaped, summary + chart + findings table', async () => {
    const { app } = await scanned();
    const html = await render(app, 'html');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).not.toContain('\u001b');
    expect(html).not.toMatch(/<[^>]*\s(src|href|on[a-z]+)=/i);
    expect(html).not.toMatch(/url\(|@import/i);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
    for (const id of ['summary', 'chart', 'findings']) expect(html).toContain(`<section id="${id}">`);
    expect(html).toMatch(/<svg[^>]*role="img"/);
    expect(html).toContain('Content-Security-Policy');
    expect(html).not.toContain(CANARY);
  });

  it('Markdown: cells escaped so neither HTML nor table syntax leaks through', async () => {
    const { app } = await scanned();
    const md = await render(app, 'markdown');
    expect(md).not.toMatch(/<script/i);
    expect(md).toContain('&lt;script&gt;');
    expect(md).toContain('\\|');
    expect(md).toMatch(/## Open findings/);
  });

  it('terminal: control characters made visible', async () => {
    const { app } = await scanned();
    const text = await render(app, 'table');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('\\u001b');
    expect(text).toMatch(/SEVERITY\s+TYPE\s+REF/);
  });

  it('writes the report file with {date} replaced', async () => {
    const { app, dir } = await scanned();
    const job = await runScanJob(app, {
      providers: [],
      actor: 'test',
      report: { format: 'html', out: join(dir, 'reports', 'scan-{date}.html') },
    });
    expect(job.reportPath).toBe(join(dir, 'reports', 'scan-2026-01-01.html'));
    expect(readFileSync(job.reportPath ?? '', 'utf8')).toMatch(/^<!doctype html>/);
  });
});
