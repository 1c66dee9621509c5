import { afterEach, describe, expect, it, vi } from 'vitest';
import { findingId } from '../../src/scan/findings.js';
import { runScanJob } from '../../src/scan/service.js';
import type { LineageRecord } from '../../src/store/types.js';
import { FakeProvider } from './fake-provider.js';
import { type TestApp, testApp } from './helpers.js';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const apps: TestApp[] = [];

function setup(now: () => Date = () => NOW, provider = new FakeProvider()) {
  const app = testApp({ providers: [provider], now });
  apps.push(app);
  return { app, provider };
}

const scan = (app: TestApp, signal?: AbortSignal) =>
  runScanJob(app, { providers: [], actor: 'test', ...(signal ? { signal } : {}) });

async function open(app: TestApp) {
  return (await app.store.findings.list({ status: 'open' }))
    .map((f) => `${f.type} ${f.ref.split(':')[2]}`)
    .sort();
}

function lineage(ref: string, revokedAt: string): LineageRecord {
  return {
    id: `lin_${ref}`,
    ref,
    runId: 'run_1',
    requestId: 'req_1',
    reason: 'leaked',
    requester: 'alice',
    approvers: ['bob'],
    executor: 'carol',
    oldVersions: [{ versionId: 'v0', revokedAt }],
    newVersion: { versionId: 'v1', fingerprint: 'hmac-sha256:00', issuedAt: revokedAt },
    proofRef: 'audit:1',
    breakGlass: false,
    createdAt: revokedAt,
  };
}

afterEach(async () => {
  vi.useRealTimers();
  for (const a of apps.splice(0)) await a.close();
});

describe('scan engine', () => {
  it('raises one seeded case of every finding type, with severity, evidence and contacts', async () => {
    const { app, provider } = setup();
    provider.put('fresh');
    provider.put('dormant', { lastUsedAt: '2025-08-01T00:00:00.000Z' });
    provider.put('untagged', { owners: [], tags: {} });
    provider.put('old', { lastRotatedAt: '2024-01-01T00:00:00.000Z' });
    provider.put('expired', { expiresAt: '2025-12-01T00:00:00.000Z' });
    provider.put('flipped', {
      reenableEvidence: [{ at: '2025-12-31T00:00:00.000Z', detail: 'disabled then enabled' }],
    });
    provider.put('leaked');
    provider.activity.set('fake:secret:leaked', [
      {
        versionId: 'v0',
        signal: 'GetAccessKeyLastUsed',
        confidence: 'exact',
        lastUsedAt: '2025-12-20T00:00:00.000Z',
      },
    ]);
    await app.store.lineage.insert(lineage('fake:secret:leaked', '2025-12-10T00:00:00.000Z'));

    const { result } = await scan(app);
    expect(result.scan.status).toBe('completed');
    expect(await open(app)).toEqual([
      'dormant dormant',
      'expired-enabled expired',
      'long-lived old',
      'orphaned untagged',
      'reenabled flipped',
      'revoked-still-used leaked',
    ]);
    const leaked = await app.store.findings.get(findingId('revoked-still-used', 'fake:secret:leaked'));
    expect(leaked?.severity).toBe('critical');
    expect(provider.activityCalls).toEqual([
      { ref: 'fake:secret:leaked', since: '2025-12-10T00:00:00.000Z', versionIds: ['v0'] },
    ]);
    const orphan = await app.store.findings.get(findingId('orphaned', 'fake:secret:untagged'));
    expect(orphan?.owners).toEqual(['sec-oncall']); // break-glass contacts when nobody owns it
    const dormant = await app.store.findings.get(findingId('dormant', 'fake:secret:dormant'));
    expect(dormant?.owners).toEqual(['alice']);
    expect(dormant?.evidence).toMatchObject({ signal: 'LastAccessedDate', confidence: 'day' });
    // Snapshots stored for every identity; the audit log has the scan entry.
    expect((await app.store.scans.snapshot('fake:secret:fresh'))?.scanId).toBe(result.scan.id);
    const head = await app.store.audit.head();
    expect(head?.type).toBe('scan.completed');
    expect(head?.data).toMatchObject({ identities: 7, opened: 6 });
    expect(await app.store.audit.lastCheckpoint()).toMatchObject({ seq: head?.seq });
  });

  it('catches a re-enable between two scans from the snapshots', async () => {
    const { app, provider } = setup();
    provider.put('svc', { state: 'disabled' });
    await scan(app);
    expect(await open(app)).toEqual([]);
    provider.update('svc', { state: 'enabled' });
    const { result } = await scan(app);
    const f = await app.store.findings.get(findingId('reenabled', 'fake:secret:svc'));
    expect(f).toMatchObject({
      status: 'open',
      severity: 'high',
      evidence: { source: 'snapshot', previousState: 'disabled' },
    });
    expect(result.alerts.detailed({ types: [], minSeverity: 'info' }).map((a) => a.finding.type)).toEqual([
      'reenabled',
    ]);
    // Sticky: a third scan with no change keeps it open; disabling it again resolves it.
    await scan(app);
    expect((await app.store.findings.get(f?.id ?? ''))?.status).toBe('open');
    provider.update('svc', { state: 'disabled' });
    await scan(app);
    expect((await app.store.findings.get(f?.id ?? ''))?.status).toBe('resolved');
  });

  it('catches a re-enable that happened and was reverted between scans via provider evidence', async () => {
    let now = new Date('2026-01-01T00:00:00.000Z');
    const { app, provider } = setup(() => now);
    provider.put('kv');
    await scan(app);
    now = new Date('2026-01-02T00:00:00.000Z');
    // Disabled at 03:00 and enabled again at 04:00: both snapshots say "enabled".
    provider.update('kv', {
      reenableEvidence: [{ at: '2026-01-01T04:00:00.000Z', detail: 'enabled after disable at 03:00' }],
    });
    await scan(app);
    const f = await app.store.findings.get(findingId('reenabled', 'fake:secret:kv'));
    expect(f).toMatchObject({ status: 'open', evidence: { source: 'provider' } });
    expect(f?.summary).toMatch(/enabled after disable/);
  });

  it('tracks firstSeen / lastSeen, resolves fixed and vanished identities, and alerts only on new or changed', async () => {
    let now = new Date('2026-01-01T00:00:00.000Z');
    const { app, provider } = setup(() => now);
    provider.put('a', { owners: [], tags: {} });
    provider.put('b', { owners: [], tags: {} });
    const first = await scan(app);
    expect(first.result.alerts.size).toBe(2);

    now = new Date('2026-01-02T00:00:00.000Z');
    const second = await scan(app);
    expect(second.result.alerts.size).toBe(0); // same findings, same severity: no alert
    const a = await app.store.findings.get(findingId('orphaned', 'fake:secret:a'));
    expect(a).toMatchObject({
      firstSeen: '2026-01-01T00:00:00.000Z',
      lastSeen: '2026-01-02T00:00:00.000Z',
      status: 'open',
    });

    now = new Date('2026-01-03T00:00:00.000Z');
    provider.update('a', { owners: ['alice'] });
    provider.update('b', { tags: { tier: 'privileged' } }); // severity rises: alert again
    provider.put('c', { owners: ['ghost'] });
    const third = await scan(app);
    expect(
      third.result.alerts
        .detailed({ types: [], minSeverity: 'info' })
        .map((x) => [x.kind, x.finding.ref])
        .sort(),
    ).toEqual([
      ['changed', 'fake:secret:b'],
      ['new', 'fake:secret:c'],
    ]);
    expect(await app.store.findings.get(findingId('orphaned', 'fake:secret:a'))).toMatchObject({
      status: 'resolved',
      resolvedAt: '2026-01-03T00:00:00.000Z',
    });

    now = new Date('2026-01-04T00:00:00.000Z');
    provider.remove('c');
    const fourth = await scan(app);
    expect(fourth.result.counters.findingsResolved).toBe(1);
    expect((await app.store.findings.get(findingId('orphaned', 'fake:secret:c')))?.status).toBe('resolved');
    expect((await app.store.scans.snapshot('fake:secret:c'))?.record.state).toBe('deleted');
  });

  it('turns dormant when the clock passes the threshold (fake timers)', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00.000Z'), toFake: ['Date'] });
    const { app, provider } = setup(() => new Date());
    provider.put('svc', { lastUsedAt: '2025-10-10T00:00:00.000Z' }); // 83 days
    await scan(app);
    expect(await open(app)).toEqual([]);
    vi.setSystemTime(new Date('2026-01-08T00:00:01.000Z')); // 90 days and a second
    await scan(app);
    expect(await open(app)).toEqual(['dormant svc']);
  });

  it('marks an aborted scan interrupted and does not resolve findings of identities it did not reach', async () => {
    let now = new Date('2026-01-01T00:00:00.000Z');
    const { app, provider } = setup(() => now);
    for (let i = 0; i < 20; i++) provider.put(`s${String(i).padStart(2, '0')}`, { owners: [], tags: {} });
    await scan(app);
    expect((await open(app)).length).toBe(20);

    now = new Date('2026-01-02T00:00:00.000Z');
    provider.delayMs = 20;
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('SIGTERM')), 90);
    const { result } = await scan(app, abort.signal);
    expect(result.scan.status).toBe('interrupted');
    expect(result.counters.identities).toBeLessThan(20);
    expect((await open(app)).length).toBe(20);
    expect((await app.store.scans.getScan(result.scan.id))?.status).toBe('interrupted');
    expect((await app.store.audit.head())?.type).toBe('scan.interrupted');
  });

  it('does not resolve the unseen identities of a provider whose listing failed', async () => {
    const { app, provider } = setup();
    provider.put('a', { owners: [], tags: {} });
    provider.put('b', { owners: [], tags: {} });
    await scan(app);
    provider.failAfter = 1;
    const { result } = await scan(app);
    expect(result.scan.status).toBe('failed');
    expect(result.errors[0]?.message).toMatch(/listing failed/);
    expect((await open(app)).length).toBe(2);
  });

  it('reports same-day use after revocation as revoked-possibly-used (high), apart from certain use', async () => {
    const { app, provider } = setup();
    provider.put('k');
    provider.activity.set('fake:secret:k', [
      {
        versionId: 'v0',
        signal: 'LastAccessedDate',
        confidence: 'day',
        lastUsedAt: '2025-12-10T00:00:00.000Z',
      },
    ]);
    await app.store.lineage.insert(lineage('fake:secret:k', '2025-12-10T15:00:00.000Z'));
    await scan(app);
    expect(await app.store.findings.get(findingId('revoked-still-used', 'fake:secret:k'))).toBeUndefined();
    const f = await app.store.findings.get(findingId('revoked-possibly-used', 'fake:secret:k'));
    expect(f).toMatchObject({ severity: 'high', status: 'open' });
    // An incident signal: the evidence ageing out does not close it (only nhi findings ack does).
    provider.activity.set('fake:secret:k', []);
    await scan(app);
    expect((await app.store.findings.get(f?.id ?? ''))?.status).toBe('open');
  });
});
