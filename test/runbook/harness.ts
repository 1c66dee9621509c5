import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordDecision } from '../../src/approval/decisions/decide.js';
import { ownerRegistryFromConfig } from '../../src/approval/owners/owner-registry.js';
import { AuditLog } from '../../src/audit/log.js';
import { type Config, parseConfig } from '../../src/config/load.js';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import { createNotifier } from '../../src/notify/notifier.js';
import type { EngineDeps } from '../../src/runbook/engine.js';
import { processLeaseHolder } from '../../src/runbook/leases.js';
import { loadRunbooksFrom, shippedRunbookDir } from '../../src/runbook/load.js';
import { createRequest } from '../../src/runbook/requests.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import { signTestPolicy, withControlOwners } from '../policy/sign.js';
import { FakeProvider } from './fake-provider.js';

export interface Harness {
  deps: EngineDeps;
  store: Store;
  provider: FakeProvider;
  keys: Record<string, KeyObject>;
  auditPublicKey: KeyObject;
  config: Config;
  approve(requestId: string, principal: string): Promise<void>;
  /** Seed `name` owned by alice, file a request as carol for `runbook`, approve it as alice. */
  approvedRequest(name: string, runbook?: string): Promise<string>;
  logs(): string;
}

/** A complete engine on a temp SQLite store, with the fake provider and owners alice, bob, carol. */
export function createHarness(
  opts: {
    holdMinutes?: number;
    config?: Record<string, unknown>;
    env?: Record<string, string>;
    runbookDirs?: string[];
  } = {},
): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-engine-'));
  const keys: Record<string, KeyObject> = {};
  const principals: Record<string, { publicKey: string }> = {};
  for (const name of ['alice', 'bob', 'carol', 'sec']) {
    const pair = generateKeyPairSync('ed25519');
    keys[name] = pair.privateKey;
    principals[name] = { publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  }
  const audit = generateKeyPairSync('ed25519');
  // Private to their owner (0600): nhi refuses signing and fingerprint keys others can read.
  writeFileSync(join(dir, 'audit.key'), audit.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  writeFileSync(join(dir, 'fp.key'), 'engine-test-fingerprint-key', { mode: 0o600 });
  const raw: Record<string, unknown> = {
    state: { path: join(dir, 'state.db') },
    keys: { fingerprint: 'file:fp.key', auditSigning: 'file:audit.key' },
    providers: {
      fake: {
        type: 'aws',
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9',
        credentials: { method: 'default' },
      },
    },
    owners: { principals, teams: { payments: ['alice', 'bob'] }, breakGlass: ['sec'] },
    policy: {
      privileged: {
        quorum: 2,
        approvalTtlHours: 4,
        holdMinutes: opts.holdMinutes ?? 0,
        alert: [],
        executorNotApprover: true,
      },
    },
    ...opts.config,
  };
  // sec is the control owner; the policy is signed so every decision here is allowed.
  withControlOwners(raw, ['sec']);
  const config = parseConfig(raw, { sourcePath: join(dir, 'nhi.config.json'), env: opts.env ?? {} });
  signTestPolicy(config, { sec: keys.sec as KeyObject });
  const store = openSqliteStore(join(dir, 'state.db'));
  const auditLog = new AuditLog(
    { privateKey: audit.privateKey, publicKey: audit.publicKey },
    { checkpointEvery: 10 },
  );
  const memory = createMemoryLogger('debug');
  const notifier = createNotifier({
    targets: config.notify,
    deliveries: store.deliveries,
    logger: memory.logger,
  });
  const provider = new FakeProvider('fake');
  const deps: EngineDeps = {
    store,
    audit: auditLog,
    config,
    notifier,
    logger: memory.logger,
    now: () => new Date(),
    provider: async () => provider,
    runbooks: loadRunbooksFrom([shippedRunbookDir(), ...(opts.runbookDirs ?? [])]),
    fingerprint: createFingerprinter(new SecretValue('engine-test-fingerprint-key')),
    leaseHolder: processLeaseHolder(),
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    sleep: async () => undefined,
  };
  const registry = ownerRegistryFromConfig(config);
  return {
    deps,
    store,
    provider,
    keys,
    auditPublicKey: audit.publicKey,
    config,
    logs: memory.lines,
    async approvedRequest(name, runbook = 'aws-secret-recovery') {
      const ref = provider.seed(name, `old-${name}`, { owner: 'alice' });
      const req = await createRequest(deps, { ref, runbookId: runbook, reason: 'r', requester: 'carol' });
      await this.approve(req.id, 'alice');
      return req.id;
    },
    async approve(requestId, principal) {
      await recordDecision(
        { store, audit: auditLog, config, notifier, registry },
        {
          requestId,
          principal,
          decision: 'approve',
          now: new Date(),
          privateKey: keys[principal] as KeyObject,
        },
      );
    },
  };
}
