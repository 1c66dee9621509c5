/**
 * The estate the report-format tests scan: hostile names, a privileged stale key, two revoked
 * keys still in use (one to be acknowledged), over a real SQLite store with its audit log; and
 * a renderer that goes through the scan job's own report builder (trend from the store).
 */

import { expect } from 'vitest';
import { createOwnerRegistry } from '../../src/approval/owners/owner-registry.js';
import { acknowledgeFinding } from '../../src/scan/ack.js';
import { findingId } from '../../src/scan/findings.js';
import {
  buildReport,
  type ReportFormat,
  renderReport,
  reportContextOf,
} from '../../src/scan/report/index.js';
import { runScanJob, type ScanJobResult } from '../../src/scan/service.js';
import type { LineageRecord } from '../../src/store/types.js';
import { FakeProvider } from './fake-provider.js';
import { CANARY, type TestApp, testApp, testConfig } from './helpers.js';

const HOSTILE = '<script>alert(1)</script>';
const PIPE = 'pipe\\|split`tick`_x_*y*';
const LINK = 'https://evil.example/login';

/** Apps to close after each test. */
export const apps: TestApp[] = [];

export async function estate() {
  let now = new Date('2026-01-01T00:00:00.000Z');
  const provider = new FakeProvider();
  const { config } = testConfig();
  const app = testApp({ providers: [provider], config, now: () => now });
  apps.push(app);
  provider.put('plain', { fingerprint: CANARY });
  provider.put(HOSTILE, { owners: ['<img src=x onerror=alert(1)>'], tags: { owner: 'mallory' } });
  provider.put(PIPE, { owners: [], tags: {} });
  provider.put(LINK, { owners: ['bob'], tags: { owner: 'bob' }, lastUsedAt: '2025-01-01T00:00:00.000Z' });
  provider.put('admin-key', {
    tags: { owner: 'alice', tier: 'privileged' },
    createdAt: '2024-01-01T00:00:00.000Z',
    lastRotatedAt: '2024-01-01T00:00:00.000Z',
    lastUsedAt: undefined,
  });
  for (const name of ['leaked', 'leaked-too']) {
    provider.put(name);
    provider.activity.set(`fake:secret:${name}`, [
      {
        versionId: 'v0',
        signal: 'GetAccessKeyLastUsed',
        confidence: 'exact',
        lastUsedAt: '2025-12-20T00:00:00.000Z',
      },
    ]);
    const l: LineageRecord = {
      id: `lin_${name}`,
      ref: `fake:secret:${name}`,
      runId: 'run_1',
      requestId: 'req_1',
      reason: 'leaked',
      requester: 'alice',
      approvers: ['bob'],
      executor: 'carol',
      oldVersions: [{ versionId: 'v0', revokedAt: '2025-12-10T00:00:00.000Z' }],
      newVersion: {
        versionId: 'v1',
        fingerprint: `hmac-sha256:${CANARY}`,
        issuedAt: '2025-12-10T00:00:00.000Z',
      },
      proofRef: 'audit:1',
      breakGlass: false,
      createdAt: '2025-12-10T00:00:00.000Z',
    };
    await app.store.transaction(async (tx) => {
      await tx.lineage.insert(l);
      await app.audit.record(tx.audit, {
        type: 'lineage.recorded',
        actor: 'carol',
        subject: l.ref,
        data: { ...l },
      });
    });
  }
  const scan = async () => {
    const job = await runScanJob(app, { providers: [], actor: 'test' });
    now = new Date(now.getTime() + 86_400_000);
    return job;
  };
  const ack = (ref: string) =>
    acknowledgeFinding(
      {
        config: app.config,
        registry: createOwnerRegistry(app.config.owners, app.config.baseDir ?? process.cwd()),
        store: app.store,
        audit: app.audit,
        now: app.now,
      },
      { findingId: findingId('revoked-still-used', ref), principal: 'alice', reason: `INC-7 ${LINK}` },
    );
  return { app, provider, scan, ack };
}

/** Every format of one scan, through the scan job's own report builder (trend from the store). */
export async function render(app: TestApp, job: ScanJobResult, format: ReportFormat): Promise<string> {
  const report = await buildReport(
    job.result,
    app.store.findings,
    app.config.scan,
    app.now().toISOString(),
    reportContextOf(app),
  );
  let out = '';
  await renderReport(format, report, (c) => {
    out += c;
  });
  expect(out).not.toContain(CANARY);
  return out;
}
