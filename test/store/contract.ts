/**
 * The state store contract. Every Store implementation runs this suite unchanged
 * (SQLite in sqlite.test.ts; a PostgreSQL store later). `open` must return a fresh,
 * empty, migrated store each time it is called.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { canonicalJson } from '../../src/lib/canonical.js';
import type { IncidentRecord } from '../../src/store/incident-types.js';
import type { PasskeyRecord } from '../../src/store/passkey-types.js';
import type { Store } from '../../src/store/store.js';
import type {
  ApprovalRecord,
  DeliveryRecord,
  FindingRecord,
  LineageRecord,
  RecoveryRequest,
  RunRecord,
  ScanRecord,
  StepRecord,
} from '../../src/store/types.js';
import { realPlan } from '../approval/fixture.js';

const T0 = '2026-01-02T03:04:05.000Z';
/** A plan the real planner produced (the store keeps it as data; it does not interpret it). */
const PLAN = realPlan({ path: 'secret/payments/db' });

export function request(id: string, over: Partial<RecoveryRequest> = {}): RecoveryRequest {
  return {
    id,
    ref: 'aws-prod:secret:payments/db',
    runbookId: 'aws-secret-recovery',
    reason: 'INC-42',
    requester: 'carol',
    tier: 'standard',
    owners: ['alice', 'bob'],
    plan: PLAN,
    planDigest: 'sha256:abc',
    status: 'pending',
    createdAt: T0,
    expiresAt: '2026-01-03T03:04:05.000Z',
    reviewRequired: false,
    updatedAt: T0,
    ...over,
  };
}

export function run(id: string, requestId: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    requestId,
    executor: 'dave',
    status: 'running',
    breakGlass: false,
    startedAt: T0,
    facts: { issued: { versionId: 'v2', fingerprint: 'hmac-sha256:00', issuedAt: T0, status: 'issued' } },
    ...over,
  };
}

export function lineage(id: string, ref: string, n: number): LineageRecord {
  return {
    id,
    ref,
    runId: `run-${n}`,
    requestId: `req-${n}`,
    reason: 'INC-42',
    requester: 'carol',
    approvers: ['alice'],
    executor: 'dave',
    oldVersions: [{ versionId: `v${n}`, fingerprint: `hmac-sha256:${n}`, revokedAt: T0 }],
    newVersion: { versionId: `v${n + 1}`, fingerprint: `hmac-sha256:${n + 1}`, issuedAt: T0 },
    proofRef: `audit:${n}`,
    breakGlass: false,
    createdAt: T0,
  };
}

export function approvalRow(id: string, requestId: string): ApprovalRecord {
  return {
    id,
    requestId,
    principal: 'alice',
    decision: 'approve',
    planDigest: 'sha256:abc',
    createdAt: T0,
    expiresAt: '2026-01-03T00:00:00.000Z',
    proof: { method: 'ed25519', signature: 'c2ln', keyId: 'ed25519:abc' },
  };
}

function signer() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function describeStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('round-trips', () => {
      it('audit entries and checkpoints come back exactly as appended, in seq order', async () => {
        const log = new AuditLog(signer(), { checkpointEvery: 2 });
        const a = await log.record(store.audit, {
          type: 't.one',
          actor: 'alice',
          subject: 's1',
          data: { n: 1, nested: { ok: true } },
        });
        const b = await log.record(store.audit, { type: 't.two', actor: 'bob', subject: 's2' });
        expect(await store.audit.head()).toEqual(b);
        expect(await collect(store.audit.entries())).toEqual([a, b]);
        expect(await collect(store.audit.entries(2))).toEqual([b]);
        const cps = await store.audit.checkpoints();
        expect(cps).toHaveLength(1);
        expect(cps[0]).toMatchObject({ seq: 2, hash: b.hash });
        expect(await store.audit.lastCheckpoint()).toEqual(cps[0]);
      });

      it('hashedEntries: each body is, byte for byte, the canonical form of the entry read back', async () => {
        // The store builds bodies in SQL (json_quote / to_json); these strings are where an
        // escaping difference from JSON.stringify would show (issue 17).
        const awkward = [
          '"q"',
          'back\\slash/',
          '\b\f\n\r\t',
          '\u0001\u001f\u007f',
          '\u2028\u2029',
          'é 😀 中',
        ];
        const log = new AuditLog(signer(), { checkpointEvery: 3 });
        for (const [i, text] of awkward.entries()) {
          await log.record(store.audit, {
            type: `t.${text}`,
            actor: text,
            subject: `${text}${i}`,
            data: { [text]: text, z: [1.5, -0, 1e21, null], '10': 1, '9': { b: true, a: text } },
          });
        }
        const entries = await collect(store.audit.entries());
        const pages = await collect(store.audit.hashedEntries());
        const hashed = pages.flat();
        expect(hashed.map((h) => h.body)).toEqual(
          entries.map(({ seq, ts, type, actor, subject, data }) =>
            canonicalJson({ seq, ts, type, actor, subject, data }),
          ),
        );
        expect(hashed.map(({ seq, type, prevHash, hash }) => ({ seq, type, prevHash, hash }))).toEqual(
          entries.map(({ seq, type, prevHash, hash }) => ({ seq, type, prevHash, hash })),
        );
        expect(await collect(store.audit.hashedEntries(4))).toEqual([hashed.slice(3)]);
        // The same bytes a range at a time, each field in one string (SQLite: src/audit/range-check.ts).
        const ranges = await store.audit.hashedRanges?.();
        if (ranges) {
          expect(ranges.lastSeq).toBe(awkward.length);
          const bodies = entries.map(({ seq, ts, type, actor, subject, data }) =>
            canonicalJson({ seq, ts, type, actor, subject, data }),
          );
          expect(await ranges.read(2, 4)).toEqual({
            count: 3,
            seqs: '2,3,4',
            prevHashes: entries
              .slice(1, 4)
              .map((e) => e.prevHash)
              .join(','),
            hashes: entries
              .slice(1, 4)
              .map((e) => e.hash)
              .join(','),
            types: entries
              .slice(1, 4)
              .map((e) => e.type)
              .join('\n'),
            inputs: entries
              .slice(1, 4)
              .map((e, i) => e.prevHash + bodies[i + 1])
              .join('\n'),
          });
          expect((await ranges.read(0, 100)).count).toBe(awkward.length);
          expect(await ranges.read(50, 60)).toEqual({
            count: 0,
            seqs: '',
            prevHashes: '',
            hashes: '',
            types: '',
            inputs: '',
          });
        }
        expect(await verifyAudit(store.audit, log.publicKey, {}, { checkpointEvery: 3 })).toMatchObject({
          ok: true,
          entries: awkward.length,
        });
      });

      it('latestOfType finds the newest entry of a type; checkpointAt the checkpoint at a seq', async () => {
        const log = new AuditLog(signer(), { checkpointEvery: 100 });
        await log.record(store.audit, { type: 'policy.adopted', actor: 'sec', subject: 'd1' });
        await log.record(store.audit, { type: 't', actor: 'a', subject: 's' });
        const second = await log.record(store.audit, { type: 'policy.adopted', actor: 'sec', subject: 'd2' });
        await log.record(store.audit, { type: 't', actor: 'a', subject: 's' });
        expect(await store.audit.latestOfType('policy.adopted')).toEqual(second);
        expect(await store.audit.latestOfType('nothing.like.it')).toBeUndefined();
        expect(await store.audit.checkpointAt(second.seq)).toMatchObject({
          seq: second.seq,
          hash: second.hash,
        });
        expect(await store.audit.checkpointAt(2)).toBeUndefined();
      });

      it('latestOfTypes lists the newest entries of any of the types, newest first, at most limit', async () => {
        const log = new AuditLog(signer(), { checkpointEvery: 100 });
        const a = await log.record(store.audit, { type: 'scan.completed', actor: 'cli', subject: 'scan_1' });
        await log.record(store.audit, { type: 'finding.acknowledged', actor: 'alice', subject: 'f' });
        const b = await log.record(store.audit, { type: 'scan.failed', actor: 'cli', subject: 'scan_2' });
        const c = await log.record(store.audit, { type: 'scan.completed', actor: 'cli', subject: 'scan_3' });
        await log.record(store.audit, { type: 'scan.completedish', actor: 'cli', subject: 'x' });
        const types = ['scan.completed', 'scan.failed', 'scan.interrupted'];
        expect(await store.audit.latestOfTypes(types, 10)).toEqual([c, b, a]);
        expect(await store.audit.latestOfTypes(types, 2)).toEqual([c, b]);
        expect(await store.audit.latestOfTypes(['scan.completed', 'scan.completed'], 10)).toEqual([c, a]);
        expect(await store.audit.latestOfTypes(['nothing.like.it'], 10)).toEqual([]);
        expect(await store.audit.latestOfTypes([], 10)).toEqual([]);
        expect(await store.audit.latestOfTypes(types, 0)).toEqual([]);
      });

      it("leases: put replaces, release removes only the named owner's lease", async () => {
        const lease = {
          name: 'identity:v:kv:secret/a',
          owner: 'run_1',
          holder: 'host:1:abc',
          host: 'host',
          pid: 1,
          runId: 'run_1',
          token: 1,
          acquiredAt: T0,
          expiresAt: null,
        };
        expect(await store.leases.get(lease.name)).toBeUndefined();
        await store.leases.put(lease);
        await store.leases.put({ ...lease, token: 2 });
        expect(await store.leases.get(lease.name)).toEqual({ ...lease, token: 2 });
        await store.leases.release(lease.name, 'run_2');
        expect(await store.leases.get(lease.name)).toEqual({ ...lease, token: 2 });
        await store.leases.release(lease.name, 'run_1');
        expect(await store.leases.get(lease.name)).toBeUndefined();
      });

      it('an empty audit area has no head and no checkpoints', async () => {
        expect(await store.audit.head()).toBeUndefined();
        expect(await collect(store.audit.entries())).toEqual([]);
        expect(await store.audit.lastCheckpoint()).toBeUndefined();
      });

      it('audit checkpoints stream from a seq; witness delivery state round-trips and is replaced', async () => {
        const log = new AuditLog(signer(), { checkpointEvery: 1 });
        for (let i = 1; i <= 3; i++)
          await log.record(store.audit, { type: 't', actor: 'a', subject: `s${i}` });
        expect((await collect(store.audit.checkpointsFrom())).map((c) => c.seq)).toEqual([1, 2, 3]);
        expect(await collect(store.audit.checkpointsFrom(2))).toEqual(
          (await store.audit.checkpoints()).slice(1),
        );
        expect(await store.audit.witnessState('offsite')).toBeUndefined();
        await store.audit.putWitnessState({ name: 'offsite', deliveredSeq: 2, failures: 0, deliveredAt: T0 });
        await store.audit.putWitnessState({
          name: 'offsite',
          deliveredSeq: 2,
          failures: 1,
          lastError: 'HTTP 503',
        });
        expect(await store.audit.witnessState('offsite')).toEqual({
          name: 'offsite',
          deliveredSeq: 2,
          failures: 1,
          lastError: 'HTTP 503',
        });
      });

      it('requests: insert, get, update (patch), list by status and ref', async () => {
        await store.requests.insert(request('req-1'));
        await store.requests.insert(
          request('req-2', { ref: 'vault-prod:kv:secret/app', createdAt: '2026-01-02T03:04:06.000Z' }),
        );
        expect(await store.requests.get('req-1')).toEqual(request('req-1'));
        expect(await store.requests.get('nope')).toBeUndefined();
        await store.requests.update('req-1', { status: 'approved', updatedAt: '2026-01-02T04:00:00.000Z' });
        expect(await store.requests.get('req-1')).toEqual(
          request('req-1', { status: 'approved', updatedAt: '2026-01-02T04:00:00.000Z' }),
        );
        expect((await store.requests.list({ status: 'approved' })).map((r) => r.id)).toEqual(['req-1']);
        expect((await store.requests.list({ ref: 'vault-prod:kv:secret/app' })).map((r) => r.id)).toEqual([
          'req-2',
        ]);
        expect((await store.requests.list()).map((r) => r.id)).toEqual(['req-1', 'req-2']);
        await expect(store.requests.update('missing', { status: 'denied' })).rejects.toThrow();
      });

      it('approvals: insert and list for a request in order', async () => {
        await store.requests.insert(request('req-1'));
        const approval = (id: string, principal: string, createdAt: string): ApprovalRecord => ({
          id,
          requestId: 'req-1',
          principal,
          decision: 'approve',
          planDigest: 'sha256:abc',
          createdAt,
          expiresAt: '2026-01-03T00:00:00.000Z',
          proof: { method: 'ed25519', signature: 'c2ln', keyId: 'ed25519:abc' },
        });
        const a2 = approval('ap-2', 'bob', '2026-01-02T05:00:00.000Z');
        const a1 = { ...approval('ap-1', 'alice', '2026-01-02T04:00:00.000Z'), comment: 'ok' };
        await store.approvals.insert(a2);
        await store.approvals.insert(a1);
        expect(await store.approvals.forRequest('req-1')).toEqual([a1, a2]);
        expect(await store.approvals.forRequest('req-2')).toEqual([]);
      });

      it('requests, approvals and runs: all() streams every row as stored, in insertion order', async () => {
        expect(await collect(store.requests.all())).toEqual([]);
        expect(await collect(store.approvals.all())).toEqual([]);
        expect(await collect(store.runs.all())).toEqual([]);
        await store.requests.insert(request('req-b'));
        await store.requests.insert(request('req-a', { ref: 'vault-prod:kv:secret/app' }));
        await store.requests.update('req-b', { status: 'running' });
        const a = { ...approvalRow('apr-z', 'req-b'), comment: 'ok' };
        await store.approvals.insert(a);
        await store.approvals.insert(approvalRow('apr-a', 'req-a'));
        await store.runs.insert(run('run-z', 'req-b'));
        await store.runs.update('run-z', { status: 'completed' });
        expect(await collect(store.requests.all())).toEqual([
          request('req-b', { status: 'running' }),
          request('req-a', { ref: 'vault-prod:kv:secret/app' }),
        ]);
        expect(await collect(store.approvals.all())).toEqual([a, approvalRow('apr-a', 'req-a')]);
        expect(await collect(store.runs.all())).toEqual([run('run-z', 'req-b', { status: 'completed' })]);
      });

      it('runs and steps: insert, get, update, list, upsert steps in index order', async () => {
        await store.requests.insert(request('req-1'));
        await store.runs.insert(run('run-1', 'req-1'));
        await store.runs.insert(
          run('run-2', 'req-1', { status: 'failed', startedAt: '2026-01-02T03:05:00.000Z' }),
        );
        await store.runs.update('run-1', { status: 'completed', finishedAt: '2026-01-02T03:06:00.000Z' });
        expect(await store.runs.get('run-1')).toEqual(
          run('run-1', 'req-1', { status: 'completed', finishedAt: '2026-01-02T03:06:00.000Z' }),
        );
        expect((await store.runs.forRequest('req-1')).map((r) => r.id)).toEqual(['run-1', 'run-2']);
        expect((await store.runs.list({ status: 'failed' })).map((r) => r.id)).toEqual(['run-2']);
        const step = (stepId: string, index: number, over: Partial<StepRecord> = {}): StepRecord => ({
          runId: 'run-1',
          stepId,
          index,
          type: stepId,
          status: 'intent',
          attempts: 1,
          idempotencyKey: `run-1:${stepId}`,
          intent: { versions: ['v1'] },
          updatedAt: T0,
          ...over,
        });
        await store.runs.upsertStep(step('reissue', 1));
        await store.runs.upsertStep(step('revoke', 0));
        await store.runs.upsertStep(
          step('revoke', 0, { status: 'done', outcome: { revoked: ['v1'] }, attempts: 2 }),
        );
        expect(await store.runs.steps('run-1')).toEqual([
          step('revoke', 0, { status: 'done', outcome: { revoked: ['v1'] }, attempts: 2 }),
          step('reissue', 1),
        ]);
      });

      it('lineage: insert, per ref in insertion order, and all', async () => {
        await store.lineage.insert(lineage('l-1', 'a:kv:x', 1));
        await store.lineage.insert(lineage('l-2', 'b:kv:y', 2));
        await store.lineage.insert(lineage('l-3', 'a:kv:x', 3));
        expect((await store.lineage.forRef('a:kv:x')).map((l) => l.id)).toEqual(['l-1', 'l-3']);
        expect(await store.lineage.forRef('a:kv:x')).toEqual([
          lineage('l-1', 'a:kv:x', 1),
          lineage('l-3', 'a:kv:x', 3),
        ]);
        expect((await collect(store.lineage.all())).map((l) => l.id)).toEqual(['l-1', 'l-2', 'l-3']);
      });

      it('scans and snapshots: insert, update, last scan, latest snapshot per ref, refs not seen', async () => {
        const scan = (id: string, startedAt: string): ScanRecord => ({
          id,
          startedAt,
          status: 'running',
          providers: ['aws-prod', 'vault-prod'],
          identities: 0,
          counts: {},
        });
        await store.scans.insertScan(scan('scan-1', '2026-01-01T00:00:00.000Z'));
        await store.scans.insertScan(scan('scan-2', '2026-01-02T00:00:00.000Z'));
        await store.scans.updateScan('scan-1', {
          status: 'completed',
          identities: 3,
          counts: { dormant: 1 },
        });
        expect(await store.scans.getScan('scan-1')).toMatchObject({
          status: 'completed',
          identities: 3,
          counts: { dormant: 1 },
        });
        expect((await store.scans.lastScan())?.id).toBe('scan-2');
        const snap = (ref: string, scanId: string) => ({
          ref,
          scanId,
          seenAt: T0,
          record: { ref, state: 'enabled' },
        });
        await store.scans.putSnapshot(snap('aws-prod:secret:a', 'scan-1'));
        await store.scans.putSnapshot(snap('aws-prod:secret:b', 'scan-1'));
        await store.scans.putSnapshot(snap('vault-prod:kv:secret/c', 'scan-1'));
        await store.scans.putSnapshot(snap('aws-prod:secret:a', 'scan-2'));
        expect(await store.scans.snapshot('aws-prod:secret:a')).toEqual(snap('aws-prod:secret:a', 'scan-2'));
        expect(await store.scans.snapshot('aws-prod:secret:zzz')).toBeUndefined();
        expect(await collect(store.scans.refsNotSeenIn('scan-2', ['aws-prod']))).toEqual([
          'aws-prod:secret:b',
        ]);
        expect(await collect(store.scans.refsNotSeenIn('scan-2', ['aws-prod', 'vault-prod']))).toEqual([
          'aws-prod:secret:b',
          'vault-prod:kv:secret/c',
        ]);
        expect(await collect(store.scans.refsNotSeenIn('scan-2', []))).toEqual([]);
        // A batch writes like one call per row, in order: the later row of a ref wins.
        await store.transaction(async (tx) => {
          await tx.scans.putSnapshots([
            snap('aws-prod:secret:b', 'scan-3'),
            snap('aws-prod:secret:d', 'scan-3'),
            {
              ...snap('aws-prod:secret:b', 'scan-3'),
              record: { ref: 'aws-prod:secret:b', state: 'disabled' },
            },
          ]);
          await tx.scans.putSnapshots([]);
        });
        expect((await store.scans.snapshot('aws-prod:secret:b'))?.record.state).toBe('disabled');
        expect((await store.scans.snapshot('aws-prod:secret:d'))?.scanId).toBe('scan-3');
      });

      it('findings: upsert keeps one row per id, list filters, open ids', async () => {
        const finding = (
          id: string,
          type: string,
          ref: string,
          over: Partial<FindingRecord> = {},
        ): FindingRecord => ({
          id,
          type,
          ref,
          severity: 'medium',
          status: 'open',
          firstSeen: T0,
          lastSeen: T0,
          owners: ['alice'],
          summary: `${type} ${ref}`,
          evidence: { lastUsedAt: null },
          ...over,
        });
        await store.findings.upsert(finding('f-1', 'dormant', 'a:kv:x'));
        await store.findings.upsert(finding('f-2', 'orphaned', 'a:kv:y'));
        await store.findings.upsert(
          finding('f-1', 'dormant', 'a:kv:x', { status: 'resolved', resolvedAt: T0 }),
        );
        expect(await store.findings.get('f-1')).toEqual(
          finding('f-1', 'dormant', 'a:kv:x', { status: 'resolved', resolvedAt: T0 }),
        );
        expect((await store.findings.list()).map((f) => f.id)).toEqual(['f-1', 'f-2']);
        expect((await store.findings.list({ type: 'orphaned' })).map((f) => f.id)).toEqual(['f-2']);
        expect((await store.findings.list({ status: 'resolved' })).map((f) => f.id)).toEqual(['f-1']);
        expect((await store.findings.list({ ref: 'a:kv:y' })).map((f) => f.id)).toEqual(['f-2']);
        expect(await store.findings.openIds()).toEqual(['f-2']);
        await store.findings.upsertMany([
          finding('f-3', 'dormant', 'a:kv:z'),
          finding('f-3', 'dormant', 'a:kv:z', { status: 'acknowledged' }),
        ]);
        expect((await store.findings.get('f-3'))?.status).toBe('acknowledged');
        await store.findings.upsertMany([]);
        const many = await store.findings.getMany(['f-2', 'nope', 'f-1', "f-1' OR 1=1"]);
        expect(many.map((f) => f.id).sort()).toEqual(['f-1', 'f-2']);
        expect(many.find((f) => f.id === 'f-1')?.status).toBe('resolved');
        expect(await store.findings.getMany([])).toEqual([]);
      });

      it('deliveries: insert, update, list by status and subject', async () => {
        const delivery = (id: string, subject: string, createdAt: string): DeliveryRecord => ({
          id,
          target: 'security',
          event: 'request.filed',
          subject,
          status: 'pending',
          attempts: 0,
          createdAt,
          updatedAt: createdAt,
          body: { event: 'request.filed', subject },
        });
        await store.deliveries.insert(delivery('d-1', 'req-1', '2026-01-02T00:00:00.000Z'));
        await store.deliveries.insert(delivery('d-2', 'req-2', '2026-01-02T00:00:01.000Z'));
        await store.deliveries.update('d-1', { status: 'failed', attempts: 4, lastError: 'HTTP 500' });
        expect(await store.deliveries.list({ status: 'failed' })).toEqual([
          {
            ...delivery('d-1', 'req-1', '2026-01-02T00:00:00.000Z'),
            status: 'failed',
            attempts: 4,
            lastError: 'HTTP 500',
          },
        ]);
        expect((await store.deliveries.list({ subject: 'req-2' })).map((d) => d.id)).toEqual(['d-2']);
        expect((await store.deliveries.list()).map((d) => d.id)).toEqual(['d-1', 'd-2']);
      });

      it('schedules: put replaces, get returns the latest', async () => {
        expect(await store.schedules.get('nightly')).toBeUndefined();
        await store.schedules.put({ name: 'nightly', runningSince: T0 });
        await store.schedules.put({
          name: 'nightly',
          lastRunAt: T0,
          lastStatus: 'completed',
          lastScanId: 'scan-1',
        });
        expect(await store.schedules.get('nightly')).toEqual({
          name: 'nightly',
          lastRunAt: T0,
          lastStatus: 'completed',
          lastScanId: 'scan-1',
        });
      });

      it('passkeys: insert, get, update (patch), per principal and all in creation order; a duplicate id is refused', async () => {
        const pk = (credentialId: string, principal: string, createdAt: string): PasskeyRecord => ({
          credentialId,
          principal,
          status: 'pending',
          cosePublicKey: 'pQECAyYgASFY',
          publicKey: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n',
          rpId: 'localhost',
          origin: 'http://localhost:8787',
          counter: 0,
          createdAt,
        });
        expect(await store.passkeys.get('cred-1')).toBeUndefined();
        await store.passkeys.insert(pk('cred-1', 'alice', T0));
        await store.passkeys.insert(pk('cred-2', 'bob', '2026-01-02T03:04:06.000Z'));
        await store.passkeys.insert(pk('cred-3', 'alice', '2026-01-02T03:04:07.000Z'));
        await expect(store.passkeys.insert(pk('cred-1', 'alice', T0))).rejects.toThrow();
        const confirmation = {
          method: 'ed25519' as const,
          keyId: 'ed25519:ab',
          signature: 'c2ln',
          signedPayload: '{}',
        };
        await store.passkeys.update('cred-1', {
          status: 'active',
          confirmedAt: T0,
          confirmation,
          counter: 3,
        });
        expect(await store.passkeys.get('cred-1')).toEqual({
          ...pk('cred-1', 'alice', T0),
          status: 'active',
          confirmedAt: T0,
          confirmation,
          counter: 3,
        });
        expect((await store.passkeys.forPrincipal('alice')).map((p) => p.credentialId)).toEqual([
          'cred-1',
          'cred-3',
        ]);
        expect((await store.passkeys.list()).map((p) => p.credentialId)).toEqual([
          'cred-1',
          'cred-2',
          'cred-3',
        ]);
        expect(await store.passkeys.forPrincipal('mallory')).toEqual([]);
      });

      it('incidents: insert, get, update (patch), all oldest first; a duplicate id is refused', async () => {
        const incident = (id: string, createdAt: string): IncidentRecord => ({
          id,
          reason: 'INC-7 CI runner compromised',
          requester: 'carol',
          createdAt,
          expiresAt: '2026-01-03T03:04:05.000Z',
          document: {
            kind: 'nhi-incident-plan',
            version: 1,
            selectors: ['tag:ci-system=jenkins'],
            valueMatch: false,
            targets: [
              {
                ref: 'aws-prod:secret:ci/deploy',
                runbookId: 'aws-secret-recovery',
                planDigest: `sha256:${'a'.repeat(64)}`,
                tier: 'standard',
                owners: ['alice'],
                matched: ['tag:ci-system=jenkins'],
              },
            ],
            unrecoverable: [
              { ref: 'vault-prod:entity:e1', reason: 'no runbook for vault entity', matched: [] },
            ],
          },
          digest: `sha256:${'b'.repeat(64)}`,
          requests: [{ ref: 'aws-prod:secret:ci/deploy', requestId: 'req-i1' }],
          exclusions: [],
          updatedAt: createdAt,
        });
        expect(await store.incidents.get('inc-1')).toBeUndefined();
        await store.incidents.insert(incident('inc-1', T0));
        await store.incidents.insert(incident('inc-2', '2026-01-02T03:04:06.000Z'));
        await expect(store.incidents.insert(incident('inc-1', T0))).rejects.toThrow();
        const exclusion = { ref: 'aws-prod:secret:ci/deploy', by: 'carol', at: T0, reason: 'decommissioned' };
        await store.incidents.update('inc-1', { exclusions: [exclusion], updatedAt: T0 });
        expect(await store.incidents.get('inc-1')).toEqual({
          ...incident('inc-1', T0),
          exclusions: [exclusion],
        });
        expect((await store.incidents.list()).map((i) => i.id)).toEqual(['inc-1', 'inc-2']);
        await expect(store.incidents.update('inc-9', { updatedAt: T0 })).rejects.toThrow(/no incident inc-9/);
      });
    });

    describe('transactions', () => {
      it('commits every write of a transaction together', async () => {
        const log = new AuditLog(signer());
        await store.transaction(async (tx) => {
          await tx.requests.insert(request('req-1'));
          await log.record(tx.audit, { type: 'request.filed', actor: 'carol', subject: 'req-1' });
        });
        expect(await store.requests.get('req-1')).toBeDefined();
        expect((await store.audit.head())?.seq).toBe(1);
      });

      it('writes nothing, audit entries included, when the transaction throws', async () => {
        const log = new AuditLog(signer(), { checkpointEvery: 1 });
        await log.record(store.audit, { type: 'before', actor: 'x', subject: 'y' });
        const boom = new Error('provider call failed');
        await expect(
          store.transaction(async (tx) => {
            await tx.requests.insert(request('req-1'));
            await log.record(tx.audit, { type: 'request.filed', actor: 'carol', subject: 'req-1' });
            await tx.lineage.insert(lineage('l-1', 'a:kv:x', 1));
            await tx.schedules.put({ name: 'nightly', lastRunAt: T0 });
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await store.requests.get('req-1')).toBeUndefined();
        expect(await store.lineage.forRef('a:kv:x')).toEqual([]);
        expect(await store.schedules.get('nightly')).toBeUndefined();
        expect((await store.audit.head())?.seq).toBe(1);
        expect((await store.audit.checkpoints()).map((c) => c.seq)).toEqual([1]);
        // The store is still usable after a rollback.
        await log.record(store.audit, { type: 'after', actor: 'x', subject: 'y' });
        expect((await store.audit.head())?.seq).toBe(2);
      });

      it('rolls back a nested transaction together with the outer one', async () => {
        await expect(
          store.transaction(async (tx) => {
            await tx.requests.insert(request('req-outer'));
            await store.transaction(async (inner) => inner.requests.insert(request('req-inner')));
            throw new Error('outer fails after the inner one finished');
          }),
        ).rejects.toThrow('outer fails');
        expect(await store.requests.list()).toEqual([]);
      });

      it('snapshot: reads through the areas, returns the value, and keeps nothing written inside', async () => {
        await store.requests.insert(request('req-1'));
        const ids = await store.snapshot(async (tx) => {
          const seen = (await tx.requests.list()).map((r) => r.id);
          await tx.requests.insert(request('req-in-snapshot')).catch(() => undefined);
          return seen;
        });
        expect(ids).toEqual(['req-1']);
        expect(await store.requests.get('req-in-snapshot')).toBeUndefined();
        // The store still takes writes afterwards.
        await store.requests.insert(request('req-2'));
        expect((await store.requests.list()).map((r) => r.id)).toEqual(['req-1', 'req-2']);
      });

      it('returns the value of the transaction function', async () => {
        expect(await store.transaction(async () => 42)).toBe(42);
      });

      it('serializes concurrent transactions: 20 racing audit records get seq 1..20 and the chain verifies', async () => {
        const keys = signer();
        const log = new AuditLog(keys, { checkpointEvery: 5 });
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.transaction(async (tx) => {
              const entry = await log.record(tx.audit, { type: 'race', actor: `w${i}`, subject: `s${i}` });
              // Yield inside the transaction, so an unserialized store would interleave here.
              await new Promise((r) => setTimeout(r, 1));
              await tx.requests.insert(request(`req-${i}`));
              return entry.seq;
            }),
          ),
        );
        expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        const entries = await collect(store.audit.entries());
        expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        const verdict = await verifyAudit(store.audit, keys.publicKey);
        expect(verdict).toMatchObject({ ok: true, entries: 20, checkpoints: 4 });
      });

      it('keeps a write made outside a transaction out of a concurrent transaction that rolls back', async () => {
        let release!: () => void;
        const gate = new Promise<void>((r) => {
          release = r;
        });
        const failing = store.transaction(async (tx) => {
          await tx.requests.insert(request('req-in-tx'));
          await gate;
          throw new Error('rollback');
        });
        const outside = store.requests.insert(request('req-outside'));
        release();
        await expect(failing).rejects.toThrow('rollback');
        await outside;
        expect((await store.requests.list()).map((r) => r.id)).toEqual(['req-outside']);
      });
    });

    describe('keyset-paged iterables return every row beyond one page', () => {
      const N = 1234;

      it('audit.entries', async () => {
        const log = new AuditLog(signer(), { checkpointEvery: 1000 });
        await store.transaction(async (tx) => {
          for (let i = 0; i < N; i++)
            await log.record(tx.audit, { type: 'bulk', actor: 'a', subject: `s${i}` });
        });
        const seqs = (await collect(store.audit.entries())).map((e) => e.seq);
        expect(seqs).toHaveLength(N);
        expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i + 1));
        expect((await collect(store.audit.entries(1001))).map((e) => e.seq)).toEqual(
          Array.from({ length: N - 1000 }, (_, i) => i + 1001),
        );
      });

      it('requests.all, approvals.all, runs.all (insertion order)', async () => {
        await store.transaction(async (tx) => {
          for (let i = 0; i < N; i++) {
            // Ids sort differently from insertion order: the stream must follow insertion.
            const id = String(N - i).padStart(5, '0');
            await tx.requests.insert(request(`req-${id}`));
            await tx.approvals.insert(approvalRow(`apr-${id}`, `req-${id}`));
            await tx.runs.insert(run(`run-${id}`, `req-${id}`));
          }
        });
        const expected = (prefix: string) =>
          Array.from({ length: N }, (_, i) => `${prefix}-${String(N - i).padStart(5, '0')}`);
        expect((await collect(store.requests.all())).map((r) => r.id)).toEqual(expected('req'));
        expect((await collect(store.approvals.all())).map((a) => a.id)).toEqual(expected('apr'));
        expect((await collect(store.runs.all())).map((r) => r.id)).toEqual(expected('run'));
      });

      it('lineage.all', async () => {
        await store.transaction(async (tx) => {
          for (let i = 0; i < N; i++) await tx.lineage.insert(lineage(`l-${i}`, `a:kv:${i % 7}`, i));
        });
        const ids = (await collect(store.lineage.all())).map((l) => l.id);
        expect(ids).toEqual(Array.from({ length: N }, (_, i) => `l-${i}`));
      });

      it('scans.refsNotSeenIn', async () => {
        await store.transaction(async (tx) => {
          for (let i = 0; i < N; i++) {
            // Every third ref is seen again in scan-2; the others are not.
            const scanId = i % 3 === 0 ? 'scan-2' : 'scan-1';
            await tx.scans.putSnapshot({
              ref: `aws-prod:secret:${String(i).padStart(5, '0')}`,
              scanId,
              seenAt: T0,
              record: {},
            });
          }
        });
        const refs = await collect(store.scans.refsNotSeenIn('scan-2', ['aws-prod']));
        const expected = Array.from({ length: N }, (_, i) => i)
          .filter((i) => i % 3 !== 0)
          .map((i) => `aws-prod:secret:${String(i).padStart(5, '0')}`);
        expect(refs).toEqual(expected);
      });
    });

    it('reports a positive schema version', async () => {
      expect(await store.schemaVersion()).toBeGreaterThan(0);
    });
  });
}
