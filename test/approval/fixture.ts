/**
 * A small world for approval tests: owner keys in a temp dir, a config parsed the real way,
 * a temp SQLite store, an audit log with its own key, and a recording notifier. Requests
 * are inserted directly (the runbook engine creates them for real).
 */
import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createVaultProvider } from '../../providers/vault/index.js';
import {
  type DecisionInput,
  type DecisionOutcome,
  recordDecision,
} from '../../src/approval/decisions/decide.js';
import { type OwnerRegistry, ownerRegistryFromConfig } from '../../src/approval/owners/owner-registry.js';
import { requestFields, signDecision } from '../../src/approval/signing/proof.js';
import { AuditLog } from '../../src/audit/log.js';
import { type Config, parseConfig } from '../../src/config/load.js';
import type { TierPolicy } from '../../src/config/schema.js';
import { resolveSecretRefs } from '../../src/config/secrets.js';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import type { Notifier, NotifyEvent, NotifyOutcome } from '../../src/notify/notifier.js';
import type { IdentityRecord } from '../../src/provider.js';
import { PROVIDER_REGISTRY } from '../../src/registry.js';
import { findRunbook, loadRunbooksFrom, shippedRunbookDir } from '../../src/runbook/load.js';
import { type Plan, planDigest, planRecovery } from '../../src/runbook/plan.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import type {
  ApprovalRecord,
  AuditEntry,
  Decision,
  DecisionPurpose,
  RecoveryRequest,
} from '../../src/store/types.js';
import { signTestPolicy, withControlOwners } from '../policy/sign.js';

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

/** A writable that keeps what the CLI printed (stdout/stderr of runCli in tests). */
export function textSink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return Object.assign(w, { text: () => chunks.join('') });
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
  // sec is the policy's control owner and signs it, so decisions in this world are allowed.
  withControlOwners(rawConfig, ['sec']);
  const configPath = join(dir, 'nhi.config.json');
  writeFileSync(configPath, JSON.stringify(rawConfig, null, 2));
  const env = { NHI_TEST_VAULT_TOKEN: 'test-token' };
  signWorldPolicy(rawConfig, configPath, env, keys);
  return { dir, configPath, rawConfig, keys, auditKeys, env };
}

/** Sign the world's policy as its control owners (a config a test made invalid on purpose is left unsigned). */
export function signWorldPolicy(
  rawConfig: Record<string, unknown>,
  configPath: string,
  env: NodeJS.ProcessEnv,
  keys: Record<string, OwnerKey>,
): void {
  let config: Config;
  try {
    config = parseConfig(rawConfig, { sourcePath: configPath, env });
  } catch {
    return;
  }
  const signers = Object.fromEntries(
    (config.policy.controlOwners?.principals ?? []).flatMap((p) =>
      keys[p] ? [[p, (keys[p] as OwnerKey).privateKey]] : [],
    ),
  );
  signTestPolicy(config, signers);
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
  request: Pick<RecoveryRequest, 'id' | 'planDigest' | 'requester' | 'reason' | 'expiresAt'>,
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
    ...requestFields(request),
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

/** The world config's tier policies (writeWorldFiles), as the planner takes them. */
const WORLD_POLICY: Record<'standard' | 'privileged', TierPolicy> = {
  standard: { quorum: 1, approvalTtlHours: 24, holdMinutes: 0, alert: [], executorNotApprover: false },
  privileged: { quorum: 2, approvalTtlHours: 4, holdMinutes: 60, alert: [], executorNotApprover: true },
};

const kvCapabilities = createVaultProvider(
  (() => {
    const c = PROVIDER_REGISTRY.vault.schema.parse({
      type: 'vault',
      address: 'http://127.0.0.1:8200',
      auth: { method: 'token', token: 'env:X' },
    });
    resolveSecretRefs(c, { baseDir: '/', env: { X: 'token' } });
    return c;
  })(),
  'vault-test',
  {
    logger: createMemoryLogger().logger,
    fingerprint: createFingerprinter(new SecretValue('k')),
    ownerTagKeys: ['owner'],
  },
).capabilities.kv;

/**
 * A real plan: the shipped vault-kv-recovery runbook planned by the pure planner on a KV
 * snapshot as the Vault adapter describes one (versions 1..n, the newest current). Each call
 * gets its own secret path, so two requests never share a digest unless a test makes them.
 */
export function realPlan(
  o: {
    tier?: 'standard' | 'privileged';
    owners?: string[];
    path?: string;
    /** Overrides of the tier's policy as the plan signs it (e.g. a quorum of 3). */
    policy?: Partial<TierPolicy>;
  } = {},
): Plan {
  const tier = o.tier ?? 'standard';
  const owners = o.owners ?? ['alice', 'bob'];
  const locator = o.path ?? `secret/payments/db-${randomUUID().slice(0, 8)}`;
  const snapshot: IdentityRecord = {
    ref: `vault-test:kv:${locator}`,
    provider: 'vault',
    instance: 'vault-test',
    kind: 'kv',
    name: locator,
    owners,
    state: 'enabled',
    createdAt: '2029-06-01T00:00:00.000Z',
    lastUsedConfidence: 'none',
    lastRotatedAt: '2029-12-01T00:00:00.000Z',
    tags:
      tier === 'privileged' ? { owner: owners.join(','), tier: 'privileged' } : { owner: owners.join(',') },
    currentVersion: '3',
    versions: [
      {
        id: '3',
        state: 'enabled',
        current: true,
        createdAt: '2029-12-01T00:00:00.000Z',
        fingerprint: createFingerprinter(new SecretValue('fixture-key'))(`value-of-${locator}`),
      },
      { id: '2', state: 'destroyed', current: false, createdAt: '2029-09-01T00:00:00.000Z' },
    ],
  };
  return planRecovery({
    runbook: findRunbook(loadRunbooksFrom([shippedRunbookDir()]), 'vault-kv-recovery'),
    snapshot,
    capabilities: kvCapabilities,
    owners,
    tier: tier === 'privileged' ? { tier, because: 'tag tier=privileged' } : { tier },
    policy: { ...WORLD_POLICY[tier], ...o.policy },
  });
}

/** A request row as createRequest stores it, over a real plan (tier and owners are the plan's). */
export function requestFixture(o: Partial<RecoveryRequest> = {}): RecoveryRequest {
  const plan =
    o.plan ??
    realPlan({
      ...(o.tier ? { tier: o.tier } : {}),
      ...(o.owners ? { owners: o.owners } : {}),
    });
  const p = plan;
  return {
    id: `req_${randomUUID()}`,
    ref: p.ref ?? 'vault-test:kv:secret/payments/db',
    runbookId: p.runbook?.id ?? 'vault-kv-recovery',
    reason: 'INC-42: leaked in a CI log',
    requester: 'carol',
    tier: p.policy?.tier ?? 'standard',
    owners: p.target?.owners ?? ['alice', 'bob'],
    plan,
    planDigest: planDigest(p),
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
    requester?: string;
    reason?: string;
    requestExpiresAt?: string;
  },
) {
  return signDecision(key, { kind: 'nhi-approval', ...fields });
}
