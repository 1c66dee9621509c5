/**
 * One scan measurement, run in its own child process (so peak RSS is this run's alone): the real
 * AWS or Azure adapter over a quota-enforcing fake client, either through the whole scan
 * pipeline (snapshots + findings into a temp SQLite store, then a streamed JSON report) or, for
 * the adapters' own call rate at default settings, draining `inventory()` alone.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAwsProviderWithClients } from '../providers/aws/index.js';
import { createAzureProvider } from '../providers/azure/index.js';
import { createFingerprinter } from '../src/lib/fingerprint.js';
import { SecretValue } from '../src/lib/secret.js';
import { createLogger } from '../src/log.js';
import type { CredentialProvider } from '../src/provider.js';
import { buildReport, renderReport } from '../src/scan/report/index.js';
import { runScan } from '../src/scan/run.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { awsSecretsManager, azureSecretClient } from './fake-clients.js';
import { benchConfig } from './moto.js';
import { AWS_QUOTAS, AZURE_QUOTAS, idealSeconds, type Latency, QuotaService } from './quota-fake.js';

export interface ScanChildArgs {
  provider: 'aws' | 'azure';
  mode: 'scan' | 'drain';
  n: number;
  latency: Latency;
  /** Azure: give the adapter the whole vault quota (a dedicated vault); default: adapter defaults. */
  rateLimit?: Record<string, number>;
  /** Scan into this PostgreSQL database instead of a temporary SQLite file (store comparison). */
  databaseUrl?: string;
}

export interface ScanChildResult extends ScanChildArgs {
  identities: number;
  seconds: number;
  reportSeconds: number;
  idealSeconds: number;
  bound: string;
  throttled: number;
  clientGapMs: number;
  calls: Record<string, number>;
  /** Admitted calls per second on the quota-bound API, and that API's quota. */
  quotaApi: string;
  callRate: number;
  quotaRate: number;
  peakRssMb: number;
  retainedHeapMb: number;
}

const NOOP_IAM = { send: () => Promise.reject(new Error('bench: no IAM')) };

function adapter(args: ScanChildArgs, service: QuotaService, dir: string): CredentialProvider {
  const logger = createLogger({ level: 'warn' });
  const deps = {
    logger,
    fingerprint: createFingerprinter(new SecretValue('bench-fingerprint-key')),
    ownerTagKeys: ['owner'],
  };
  if (args.provider === 'aws') {
    const config = benchConfig(dir, {
      type: 'aws',
      region: 'us-east-1',
      credentials: {
        method: 'static',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'env:BENCH_AWS',
      },
      kinds: ['secret'],
      ...(args.rateLimit ? { rateLimit: args.rateLimit } : {}),
    }).providers.bench;
    if (config?.type !== 'aws') throw new Error('bench config');
    return createAwsProviderWithClients(config, 'bench', deps, {
      secretsManager: awsSecretsManager(args.n, service),
      iam: NOOP_IAM,
    });
  }
  const config = benchConfig(dir, {
    type: 'azure',
    vaultUrl: 'https://bench.vault.azure.net',
    credential: { method: 'static-token', token: 'env:BENCH_TOKEN' },
    ...(args.rateLimit ? { rateLimit: args.rateLimit } : {}),
  }).providers.bench;
  if (config?.type !== 'azure') throw new Error('bench config');
  return createAzureProvider(config, 'bench', deps, { client: azureSecretClient(args.n, service) });
}

export async function scanChild(args: ScanChildArgs): Promise<ScanChildResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-bench-'));
  const quotas = args.provider === 'aws' ? AWS_QUOTAS : AZURE_QUOTAS;
  const service = new QuotaService(quotas, args.latency);
  const provider = adapter(args, service, dir);
  const config = benchConfig(dir);
  const store = args.databaseUrl
    ? await openPostgresStore(args.databaseUrl)
    : openSqliteStore(join(dir, 'state.db'));
  let identities = 0;
  let reportSeconds = 0;
  const sampler = process.env.BENCH_DEBUG
    ? setInterval(() => {
        const m = process.memoryUsage();
        process.stderr.write(
          `${(m.rss / 2 ** 20).toFixed(0)}/${(m.heapTotal / 2 ** 20).toFixed(0)}/${(m.heapUsed / 2 ** 20).toFixed(0)} `,
        );
      }, 500)
    : undefined;
  const t0 = performance.now();
  if (args.mode === 'drain') {
    for await (const _ of provider.inventory()) identities++;
  } else {
    const result = await runScan({
      store,
      providers: [provider],
      config,
      logger: createLogger({ level: 'warn' }),
      now: () => new Date('2026-01-01T00:00:00.000Z'),
    });
    identities = result.counters.identities;
    if (process.env.BENCH_DEBUG)
      process.stderr.write(`scan end maxRSS ${process.resourceUsage().maxRSS / 1024} MB\n`);
    const t1 = performance.now();
    const report = await buildReport(result, store.findings, config.scan, new Date().toISOString());
    const out = createWriteStream(join(dir, 'report.json'));
    await renderReport(
      'json',
      report,
      (c) => new Promise<void>((r) => (out.write(c) ? r() : out.once('drain', r))),
    );
    await new Promise((r) => out.end(r));
    reportSeconds = (performance.now() - t1) / 1000;
  }
  const seconds = (performance.now() - t0 - reportSeconds * 1000) / 1000;
  clearInterval(sampler);
  const mem = process.memoryUsage();
  if (process.env.BENCH_DEBUG) process.stderr.write(`${JSON.stringify(mem)}\n`);
  (globalThis as { gc?: () => void }).gc?.();
  const retainedHeapMb = process.memoryUsage().heapUsed / 2 ** 20;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const mean = (args.latency.minMs + args.latency.maxMs) / 2;
  const pages = args.provider === 'aws' ? Math.ceil(args.n / 100) : Math.ceil(args.n / 25) + 1;
  const quotaApi = args.provider === 'aws' ? 'ListSecrets' : 'vault';
  const ideal = idealSeconds({
    calls: { [quotaApi]: args.provider === 'aws' ? pages : pages + args.n },
    quotas,
    sequentialPages: pages,
    perItemCalls: args.provider === 'aws' ? 0 : args.n,
    concurrency: args.rateLimit?.concurrency ?? 32,
    meanLatencyMs: mean,
  });
  return {
    ...args,
    identities,
    seconds,
    reportSeconds,
    idealSeconds: ideal.seconds,
    bound: ideal.bound,
    throttled: service.throttled,
    clientGapMs: service.clientGapMs,
    calls: Object.fromEntries(service.calls),
    quotaApi,
    callRate: service.ratePerSecond(quotaApi),
    quotaRate: service.quotaPerSecond(quotaApi),
    peakRssMb: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    retainedHeapMb,
  };
}
