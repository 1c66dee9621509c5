/**
 * revoked-still-used / revoked-possibly-used are incident signals (ADR 051): they stay open
 * when the key disappears or its evidence ages out, until `nhi findings ack`; the ack is
 * signed when required, audited, cross-checked by audit verify, and a new use re-opens it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createOwnerRegistry } from '../../src/approval/owners/owner-registry.js';
import { crossCheckStore } from '../../src/audit/cross-check/index.js';
import type { ActivityEvidence } from '../../src/provider.js';
import { acknowledgeFinding } from '../../src/scan/ack.js';
import { findingId } from '../../src/scan/findings.js';
import { runScanJob } from '../../src/scan/service.js';
import type { LineageRecord } from '../../src/store/types.js';
import { FakeProvider } from './fake-provider.js';
import { type TestApp, testApp, testConfig } from './helpers.js';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const apps: TestApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

function setup(signed = false) {
  const alice = generateKeyPairSync('ed25519');
  const provider = new FakeProvider();
  const { config } = testConfig({
    providers: ['fake'],
    extra: signed ? { policy: { requireSignedActors: true } } : {},
  });
  config.owners.principals.alice = {
    publicKey: alice.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  } as (typeof config.owners.principals)[string];
  const app = testApp({ providers: [provider], config, now: () => NOW });
  apps.push(app);
  const deps = {
    config: app.config,
    registry: createOwnerRegistry(app.config.owners, app.config.baseDir ?? process.cwd()),
    store: app.store,
    audit: app.audit,
    now: app.now,
  };
  return { app, provider, deps, aliceKey: alice.privateKey };
}

const scan = (app: TestApp) => runScanJob(app, { providers: [], actor: 'test' });

/** A lineage row recorded as the executor records it: with its lineage.recorded entry. */
async function recordLineage(app: TestApp, ref: string, revokedAt: string): Promise<void> {
  const l: LineageRecord = {
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
  await app.store.transaction(async (tx) => {
    await tx.lineage.insert(l);
    await app.audit.record(tx.audit, {
      type: 'lineage.recorded',
      actor: 'carol',
      subject: ref,
      data: { ...l },
    });
  });
}

const use = (lastUsedAt: string, confidence: ActivityEvidence['confidence'] = 'exact'): ActivityEvidence => ({
  versionId: 'v0',
  signal: confidence === 'day' ? 'LastAccessedDate' : 'GetAccessKeyLastUsed',
  confidence,
  lastUsedAt,
});

describe('incident findings', () => {
  it('stay open when the key is deleted and the identity disappears; an ack closes them, audited and cross-checked', async () => {
    const { app, provider, deps } = setup();
    provider.put('k');
    provider.activity.set('fake:secret:k', [use('2025-12-20T00:00:00.000Z')]);
    await recordLineage(app, 'fake:secret:k', '2025-12-10T00:00:00.000Z');
    await scan(app);
    const id = findingId('revoked-still-used', 'fake:secret:k');
    expect(await app.store.findings.get(id)).toMatchObject({ status: 'open', severity: 'critical' });

    // The key is deleted: no last-used record left, and the identity is no longer listed.
    provider.activity.set('fake:secret:k', []);
    provider.remove('k');
    await scan(app);
    await scan(app);
    expect((await app.store.findings.get(id))?.status).toBe('open');

    const acked = await acknowledgeFinding(deps, {
      findingId: id,
      principal: 'alice',
      reason: 'INC-42: runner rebuilt',
    });
    expect(acked.status).toBe('acknowledged');
    expect(acked.acks?.[0]).toMatchObject({
      by: 'alice',
      reason: 'INC-42: runner rebuilt',
      at: NOW.toISOString(),
    });
    const head = await app.store.audit.head();
    expect(head).toMatchObject({ type: 'finding.acknowledged', actor: 'alice', subject: id });
    expect(await app.store.audit.lastCheckpoint()).toMatchObject({ seq: head?.seq });
    const verdict = await crossCheckStore(app.store);
    expect(verdict.problems).toEqual([]);
    expect(verdict.rows.ack).toBe(1);

    // Someone with write access to the store closes another incident by editing its row.
    provider.put('k2');
    provider.activity.set('fake:secret:k2', [use('2025-12-20T00:00:00.000Z')]);
    await recordLineage(app, 'fake:secret:k2', '2025-12-10T00:00:00.000Z');
    await scan(app);
    const id2 = findingId('revoked-still-used', 'fake:secret:k2');
    const row = await app.store.findings.get(id2);
    await app.store.findings.upsert({
      ...(row as NonNullable<typeof row>),
      status: 'acknowledged',
      acks: [{ by: 'alice', at: NOW.toISOString(), reason: 'forged' }],
    });
    const tampered = await crossCheckStore(app.store);
    expect(tampered.ok).toBe(false);
    expect(tampered.problems).toEqual([
      { kind: 'ack', id: `${id2}@${NOW.toISOString()}`, problem: 'no finding.acknowledged entry records it' },
    ]);
  });

  it('a later use re-opens an acknowledged finding; the same evidence does not', async () => {
    const { app, provider, deps } = setup();
    provider.put('k');
    provider.activity.set('fake:secret:k', [use('2025-12-20T00:00:00.000Z')]);
    await recordLineage(app, 'fake:secret:k', '2025-12-10T00:00:00.000Z');
    await scan(app);
    const id = findingId('revoked-still-used', 'fake:secret:k');
    await acknowledgeFinding(deps, { findingId: id, principal: 'alice', reason: 'checked' });
    await scan(app);
    expect((await app.store.findings.get(id))?.status).toBe('acknowledged');
    provider.activity.set('fake:secret:k', [use('2025-12-30T00:00:00.000Z')]);
    const { result } = await scan(app);
    const f = await app.store.findings.get(id);
    expect(f).toMatchObject({ status: 'open', evidence: { reopenedAfterAckAt: NOW.toISOString() } });
    expect(f?.acks).toHaveLength(1);
    expect(result.counters.findingsOpened).toBe(1);
    expect((await crossCheckStore(app.store)).ok).toBe(true);
  });

  it('certain and same-day possible use are separate findings with their own severity', async () => {
    const { app, provider } = setup();
    provider.put('certain');
    provider.put('possible');
    provider.activity.set('fake:secret:certain', [use('2025-12-11T00:00:00.000Z', 'day')]);
    provider.activity.set('fake:secret:possible', [use('2025-12-10T00:00:00.000Z', 'day')]);
    await recordLineage(app, 'fake:secret:certain', '2025-12-10T15:00:00.000Z');
    await recordLineage(app, 'fake:secret:possible', '2025-12-10T15:00:00.000Z');
    await scan(app);
    const open = (await app.store.findings.list({ status: 'open' }))
      .filter((f) => f.type.startsWith('revoked-'))
      .map((f) => `${f.type} ${f.severity} ${f.ref}`);
    expect(open.sort()).toEqual([
      'revoked-possibly-used high fake:secret:possible',
      'revoked-still-used critical fake:secret:certain',
    ]);
  });

  it('signed when policy.requireSignedActors is set: an unsigned or wrongly signed ack is refused and audited', async () => {
    const { app, provider, deps, aliceKey } = setup(true);
    provider.put('k');
    provider.activity.set('fake:secret:k', [use('2025-12-20T00:00:00.000Z')]);
    await recordLineage(app, 'fake:secret:k', '2025-12-10T00:00:00.000Z');
    await scan(app);
    const id = findingId('revoked-still-used', 'fake:secret:k');
    await expect(
      acknowledgeFinding(deps, { findingId: id, principal: 'alice', reason: 'x' }),
    ).rejects.toMatchObject({
      rule: 'unsigned-actor',
    });
    expect(await app.store.audit.head()).toMatchObject({
      type: 'finding.ack.refused',
      actor: 'alice',
      data: { rule: 'unsigned-actor' },
    });
    const mallory = generateKeyPairSync('ed25519').privateKey;
    await expect(
      acknowledgeFinding(deps, { findingId: id, principal: 'alice', reason: 'x', privateKey: mallory }),
    ).rejects.toMatchObject({ rule: 'bad-actor-signature' });
    expect((await app.store.findings.get(id))?.status).toBe('open');

    const f = await acknowledgeFinding(deps, {
      findingId: id,
      principal: 'alice',
      reason: 'x',
      privateKey: aliceKey,
    });
    expect(f.acks?.[0]?.actorProof?.signedPayload).toContain('"kind":"nhi-finding-ack"');
    expect((await app.store.audit.head())?.data).toMatchObject({ actorProof: f.acks?.[0]?.actorProof });
    expect((await crossCheckStore(app.store)).ok).toBe(true);
  });
});
