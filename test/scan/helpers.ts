/** A ScanApp over a temp SQLite store, a parsed config and in-memory providers. */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AuditLog } from '../../src/audit/log.js';
import { type Config, parseConfig } from '../../src/config/load.js';
import { createMemoryLogger } from '../../src/log.js';
import { createNotifier } from '../../src/notify/notifier.js';
import type { CredentialProvider } from '../../src/provider.js';
import type { ScanApp } from '../../src/scan/service.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import { MOTO_ENDPOINT, MOTO_REGION } from '../servers/endpoints.js';

/** Used as the fingerprint key and as fake secret values: must never appear in any output. */
export const CANARY = 'CANARY-7f3e9d1c-never-print-me';

export function auditKeyPem(): { privatePem: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export interface TestConfigInput {
  providers?: string[];
  notify?: Record<string, unknown>;
  schedules?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export function testConfig(input: TestConfigInput = {}): {
  config: Config;
  env: NodeJS.ProcessEnv;
  dir: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-scan-test-'));
  const env: NodeJS.ProcessEnv = {
    NHI_FP_KEY: CANARY,
    NHI_AUDIT_KEY: auditKeyPem().privatePem,
    NHI_AWS_SECRET: 'not-a-real-secret-key',
    NHI_WEBHOOK_KEY: 'webhook-hmac-key-for-tests',
  };
  // A key pair per principal: one key under two names is refused (a quorum counts keys).
  const pub = () =>
    generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const providers = Object.fromEntries(
    (input.providers ?? ['fake']).map((n) => [
      n,
      {
        type: 'aws',
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:5000',
        credentials: {
          method: 'static',
          accessKeyId: 'AKIAFAKEFAKEFAKE0001',
          secretAccessKey: 'env:NHI_AWS_SECRET',
        },
      },
    ]),
  );
  const raw = {
    state: { path: join(dir, 'state.db') },
    keys: { fingerprint: 'env:NHI_FP_KEY', auditSigning: 'env:NHI_AUDIT_KEY' },
    log: { level: 'silent' },
    providers,
    owners: {
      tagKeys: ['owner'],
      principals: {
        alice: { publicKey: pub() },
        bob: { publicKey: pub() },
        'sec-oncall': { publicKey: pub() },
      },
      teams: { payments: ['alice', 'bob'], security: ['sec-oncall'] },
      breakGlass: ['security'],
    },
    notify: input.notify ?? {},
    schedules: input.schedules ?? {},
    ...input.extra,
  };
  return { config: parseConfig(raw, { sourcePath: join(dir, 'nhi.config.json'), env }), env, dir };
}

/**
 * testConfig written as a file a child `nhi` process loads: the parsed config back to its written
 * form, with `over` replacing top-level sections (providers, schedules, log, ops, ...).
 */
export function writeTestConfig(over: Record<string, unknown> = {}): {
  configPath: string;
  env: NodeJS.ProcessEnv;
  dir: string;
} {
  const { config, env, dir } = testConfig();
  const raw = JSON.parse(
    JSON.stringify({
      ...config,
      sourcePath: undefined,
      baseDir: undefined,
      warnings: undefined,
      fromEnv: undefined,
    }),
  );
  const configPath = join(dir, 'nhi.config.json');
  writeFileSync(configPath, JSON.stringify({ ...raw, ...over }));
  return { configPath, env, dir };
}

/** A Secrets Manager client on the local moto server, for seeding what a test scans. */
export function motoSecretsClient(): SecretsManagerClient {
  return new SecretsManagerClient({
    region: MOTO_REGION,
    endpoint: MOTO_ENDPOINT,
    credentials: {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
    maxAttempts: 1,
  });
}

/** An aws instance on the local moto server, Secrets Manager only, limited to `namePrefix`. */
export function motoSecretsProvider(namePrefix: string): Record<string, unknown> {
  return {
    type: 'aws',
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:5000',
    credentials: {
      method: 'static',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'env:NHI_AWS_SECRET',
    },
    kinds: ['secret'],
    secrets: { namePrefix },
  };
}

export interface TestApp extends ScanApp {
  store: Store;
  logLines: () => string;
  close(): Promise<void>;
}

export function testApp(opts: {
  providers: CredentialProvider[];
  config?: Config;
  now?: () => Date;
  fetchImpl?: typeof fetch;
}): TestApp {
  const config = opts.config ?? testConfig({ providers: opts.providers.map((p) => p.instance) }).config;
  const { logger, lines } = createMemoryLogger('debug');
  const store = openSqliteStore(config.state.path);
  const now = opts.now ?? (() => new Date());
  const signing = config.keys.auditSigning.reveal();
  const privateKey = createPrivateKey(signing);
  const audit = new AuditLog({ privateKey, publicKey: createPublicKey(privateKey) }, { now });
  const notifier = createNotifier({
    targets: config.notify,
    deliveries: store.deliveries,
    logger,
    now,
    sleep: async () => undefined,
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
  });
  const byName = new Map(opts.providers.map((p) => [p.instance, p]));
  return {
    config,
    store,
    audit,
    notifier,
    logger,
    now,
    logLines: lines,
    provider: async (n) => {
      const p = byName.get(n);
      if (!p) throw new Error(`no provider ${n}`);
      return p;
    },
    providerNames: () => [...byName.keys()],
    close: () => store.close(),
  };
}
