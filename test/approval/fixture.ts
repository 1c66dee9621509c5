/**
 * A small world for approval tests: owner keys in a temp dir, a config parsed the real way,
 * a temp SQLite store, an audit log with its own key, and a recording notifier. Requests
 * are inserted directly (the runbook engine creates them for real).
 */
import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DecisionInput, type DecisionOutcome, recordDecision } from '../../src/approval/decide.js';
import { signDecision } from '../../src/approval/proof.js';
import { type OwnerRegistry, ownerRegistryFromConfig } from '../../src/approval/registry.js';
import { AuditLog } from '../../src/audit/log.js';
import { type Config, parseConfig } from '../../src/config/load.js';
import { canonicalDigest } from '../../src/lib/canonical.js';
import type { Notifier, NotifyEvent, NotifyOutcome } from '../../src/notify/notifier.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import type {
  ApprovalRecord,
  AuditEntry,
  Decision,
  DecisionPurpose,
  RecoveryRequest,
} from '../../src/store/types.js';

export const T0 = new Date('2030-01-01T00:00:00.000Z');
export const minutes = (n: number, from: Date = T0) => new Date(from.getTime() + n * 60_000);
export const hours = (n: number, from: Date = T0) => minutes(n * 60, from);

/** alice, bob: owners (team payments); carol: requester; dave: executor; sec: break-glass; mallory: unregistered. */
export const PRINCIPALS = ['alice', 'bob', 'carol', 'dave', 'sec'] as const;
export const FINGERPRINT_SECRET = 'fingerprint-hmac-key-do-not-leak-0123456789';
export const WEBHOOK_SECRET = 'webhook-hmac-key-do-not-leak-9876543210';

export interface OwnerKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyPath: string;
}

export interface World {
  dir: string;
  configPath: string;
  rawConfig: Record<string, unknown>;
  config: Config;
  store: Store;
  audit: AuditLog;
  auditKeys: { privateKey: KeyObject; publicKey: KeyObject };
  registry: OwnerRegistry;
  notifier: Notifier & { sent: { targets: string[]; event: NotifyEvent }[] };
  keys: Record<string, OwnerKey>;
  env: NodeJS.ProcessEnv;
  insertRequest(over?: Partial<RecoveryRequest>): Promise<RecoveryRequest>;
  decide(
    principal: string,
    decision: Decision,
    requestId: string,
    opts?: { key?: string; now?: Date; planDigest?: string; comment?: string },
  ): Promise<DecisionOutcome>;
  submit(input: DecisionInput): Promise<DecisionOutcome>;
  approvals(requestId: string): Promise<ApprovalRecord[]>;
  entries(type?: string): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

function writeKey(dir: string, name: string): OwnerKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyPath = join(dir, `${name}.key`);
  writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  writeFileSync(join(dir, `${name}.pub`), publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey, keyPath };
}

export function writeWorldFiles(over: Record<string, unknown> = {}): {
  dir: string;
  configPath: string;
  rawConfig: Record<string, unknown>;
  keys: Record<string, OwnerKey>;
  auditKeys: OwnerKey;
  env: NodeJS.ProcessEnv;
} {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-approval-'));
  mkdirSync(join(dir, 'keys'));
  const keys: Record<string, OwnerKey> = {};
  for (const p of [...PRINCIPALS, 'mallory']) keys[p] = writeKey(join(dir, 'keys'), p);
  const auditKeys = writeKey(join(dir, 'keys'), 'audit');
  writeFileSync(join(dir, 'fingerprint.key'), FINGERPRINT_SECRET, { mode: 0o600 });
  writeFileSync(join(dir, 'webhook.key'), WEBHOOK_SECRET, { mode: 0o600 });
  const rawConfig: Record<string, unknown> = {
    state: { driver: 'sqlite', path: './state/nhi.db' },
    keys: { fingerprint: 'file:./fingerprint.key', auditSigning: 'file:./keys/audit.key' },
    log: { level: 'silent' },
    providers: {
      'vault-test': {
        type: 'vault',
        address: 'http://127.0.0.1:8200',
        auth: { method: 'token', token: 'env:NHI_TEST_VAULT_TOKEN' },
      },
    },
    owners: {
      tagKeys: ['owner'],
      principals: Object.fromEntries(
        PRINCIPALS.map((p) => [p, { publicKey: `file:./keys/${p}.pub`, email: `${p}@example.com` }]),
      ),
      teams: { payments: ['alice', 'bob'], security: ['sec'] },
      breakGlass: ['security'],
    },
    policy: {
      requestTtlHours: 24,
      standard: { quorum: 1, approvalTtlHours: 24, holdMinutes: 0, alert: [], executorNotApprover: false },
      privileged: { quorum: 2, approvalTtlHours: 4, holdMinutes: 60, alert: [], executorNotApprover: true },
      securityAlert: [],
    },
    ...over,
  };
  const configPath = join(dir, 'nhi.config.json');
  writeFileSync(configPath, JSON.stringify(rawConfig, null, 2));
  return { dir, configPath, rawConfig, keys, auditKeys, env: { NHI_TEST_VAULT_TOKEN: 'test-token' } };
}

export function recordingNotifier(): World['notifier'] {
  const sent: { targets: string[]; event: NotifyEvent }[] = [];
  return {
    sent,
    async notify(targets, event): Promise<NotifyOutcome[]> {
      sent.push({ targets: [...targets], event });
      return targets.map((t) => ({ target: t, deliveryId: `dlv_${t}`, status: 'delivered' }));
    },
    async retryFailed() {
      return [];
    },
  };
}

/** Config, keys and registry only: for the pure policy functions. */
export function makePolicyWorld(over: Record<string, unknown> = {}) {
  const files = writeWorldFiles(over);
  const config = parseConfig(files.rawConfig, { sourcePath: files.configPath, env: files.env });
  const registry = ownerRegistryFromConfig(config);
  return { ...files, config, registry, cleanup: () => rmSync(files.dir, { recursive: true, force: true }) };
}

/** An approval as recordDecision would store it, signed with `key` (default: the principal's own). */
export function approvalFor(
  keys: Record<string, OwnerKey>,
  request: Pick<RecoveryRequest, 'id' | 'planDigest'>,
  principal: string,
  opts: { at?: Date; ttlHours?: number; decision?: Decision; key?: string; planDigest?: string } = {},
): ApprovalRecord {
  const at = opts.at ?? T0;
  const decision = opts.decision ?? 'approve';
  const expiresAt = hours(opts.ttlHours ?? 24, at).toISOString();
  const planDigest = opts.planDigest ?? request.planDigest;
  const key = keys[opts.key ?? principal];
  if (!key) throw new Error(`no test key ${opts.key ?? principal}`);
  const proof = signedProof(key.privateKey, {
    requestId: request.id,
    planDigest,
    decision,
    expiresAt,
    principal,
  });
  return {
    id: `apr_${randomUUID()}`,
    requestId: request.id,
    principal,
    decision,
    planDigest,
    createdAt: at.toISOString(),
    expiresAt,
    proof: { ...proof },
  };
}

export function requestFixture(o: Partial<RecoveryRequest> = {}): RecoveryRequest {
  const plan = o.plan ?? {
    order: 'revoke-then-reissue',
    steps: ['snapshot', 'approval', 'hold', 'revoke', 'reissue', 'verify'],
    nonce: randomUUID(),
  };
  return {
    id: `req_${randomUUID()}`,
    ref: 'vault-test:kv:secret/payments/db',
    runbookId: 'vault-kv-recovery',
    reason: 'INC-42: leaked in a CI log',
    requester: 'carol',
    tier: 'standard',
    owners: ['alice', 'bob'],
    plan,
    planDigest: canonicalDigest(plan),
    status: 'pending',
    createdAt: T0.toISOString(),
    expiresAt: hours(24).toISOString(),
    reviewRequired: false,
    updatedAt: T0.toISOString(),
    ...o,
  };
}

export function makeWorld(over: Record<string, unknown> = {}): World {
  const files = writeWorldFiles(over);
  const config = parseConfig(files.rawConfig, { sourcePath: files.configPath, env: files.env });
  const store = openSqliteStore(join(files.dir, 'state', 'nhi.db'));
  const auditKeys = { privateKey: files.auditKeys.privateKey, publicKey: files.auditKeys.publicKey };
  const audit = new AuditLog(auditKeys, { now: () => T0 });
  const registry = ownerRegistryFromConfig(config);
  const notifier = recordingNotifier();
  const deps = { store, audit, config, notifier, registry };

  const world: World = {
    ...files,
    config,
    store,
    audit,
    auditKeys,
    registry,
    notifier,
    async insertRequest(o = {}) {
      const request = requestFixture(o);
      await store.requests.insert(request);
      return request;
    },
    decide(principal, decision, requestId, opts = {}) {
      const key = files.keys[opts.key ?? principal];
      if (!key) throw new Error(`no test key ${opts.key ?? principal}`);
      return recordDecision(deps, {
        requestId,
        principal,
        decision,
        privateKey: key.privateKey,
        now: opts.now ?? T0,
        ...(opts.planDigest ? { planDigest: opts.planDigest } : {}),
        ...(opts.comment ? { comment: opts.comment } : {}),
      });
    },
    submit: (input) => recordDecision(deps, input),
    approvals: (id) => store.approvals.forRequest(id),
    async entries(type) {
      const out: AuditEntry[] = [];
      for await (const e of store.audit.entries()) if (!type || e.type === type) out.push(e);
      return out;
    },
    async close() {
      await store.close();
      rmSync(files.dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** A proof signed outside recordDecision, e.g. to replay or forge. */
export function signedProof(
  key: KeyObject,
  fields: {
    requestId: string;
    planDigest: string;
    decision: Decision;
    expiresAt: string;
    principal: string;
    purpose?: DecisionPurpose;
  },
) {
  return signDecision(key, { kind: 'nhi-approval', ...fields });
}
