/**
 * Scan benchmark (`npm run bench`). For each profile and N, a child process scans N identities
 * through a quota-enforcing provider fake and the real pipeline (snapshots + findings into a
 * temp SQLite store, then a streamed JSON report), and reports identities/s, the ratio to the
 * quota/latency-bound ideal, and peak RSS / heap. Memory must stay flat as N grows.
 * Optionally (N=1,000) the same through the real AWS adapter against local moto.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/log.js';
import type { CredentialProvider } from '../src/provider.js';
import { buildReport, renderReport } from '../src/scan/report/index.js';
import { runScan } from '../src/scan/run.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { benchConfig, motoProvider } from './moto.js';
import { idealSeconds, PROFILES, QuotaService, quotaBoundProvider } from './quota-fake.js';

const [MIN_MS = 20, MAX_MS = 50] = (process.env.BENCH_LATENCY_MS ?? '20,50').split(',').map(Number);
const LATENCY = { minMs: MIN_MS, maxMs: MAX_MS };
const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const PROFILE_KEYS = (process.env.BENCH_PROFILES ?? 'aws,azure,moto').split(',');

interface ChildResult {
  profile: string;
  n: number;
  identities: number;
  scanSeconds: number;
  reportSeconds: number;
  idealSeconds: number;
  bound: string;
  throttled: number;
  calls: Record<string, number>;
  findings: number;
  peakRssMb: number;
  peakHeapMb: number;
  /** Heap still in use after a full GC at the end of the scan and report. */
  retainedHeapMb: number;
  note?: string;
}

async function child(profileKey: string, n: number): Promise<ChildResult> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 25);
  const dir = mkdtempSync(join(tmpdir(), 'nhi-bench-'));
  const store = openSqliteStore(join(dir, 'state.db'));
  const config = benchConfig(dir);
  const logger = createLogger({ level: 'warn' });
  let provider: CredentialProvider;
  let service: QuotaService | undefined;
  let ideal = { seconds: 0, bound: 'n/a (real server)' };
  let note: string | undefined;
  if (profileKey === 'moto') {
    const m = await motoProvider(n, logger);
    provider = m.provider;
    note = m.note;
  } else {
    const profile = PROFILES[profileKey];
    if (!profile) throw new Error(`unknown profile ${profileKey}`);
    service = new QuotaService(profile.quotas, LATENCY);
    provider = quotaBoundProvider(profile, n, service);
    ideal = idealSeconds(profile, n, (LATENCY.minMs + LATENCY.maxMs) / 2);
  }
  const t0 = performance.now();
  const result = await runScan({
    store,
    providers: [provider],
    config,
    logger,
    now: () => new Date('2026-01-01T00:00:00.000Z'),
  });
  const t1 = performance.now();
  const report = await buildReport(result, store.findings, config.scan, new Date().toISOString());
  const out = createWriteStream(join(dir, 'report.json'));
  const findings = await renderReport(
    'json',
    report,
    (c) => new Promise<void>((r) => (out.write(c) ? r() : out.once('drain', r))),
  );
  await new Promise((r) => out.end(r));
  const t2 = performance.now();
  sample();
  clearInterval(sampler);
  (globalThis as { gc?: () => void }).gc?.();
  const retainedHeapMb = process.memoryUsage().heapUsed / 2 ** 20;
  await store.close();
  if (profileKey === 'moto') await (await import('./moto.js')).cleanupMoto();
  rmSync(dir, { recursive: true, force: true });
  return {
    profile: profileKey === 'moto' ? 'moto (real AWS adapter)' : (PROFILES[profileKey]?.name ?? profileKey),
    n,
    identities: result.counters.identities,
    scanSeconds: (t1 - t0) / 1000,
    reportSeconds: (t2 - t1) / 1000,
    idealSeconds: ideal.seconds,
    bound: ideal.bound,
    throttled: service?.throttled ?? 0,
    calls: Object.fromEntries(service?.calls ?? []),
    findings,
    peakRssMb: Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    peakHeapMb: peakHeap / 2 ** 20,
    retainedHeapMb,
    ...(note ? { note } : {}),
  };
}

function runChild(profile: string, n: number): ChildResult | { profile: string; n: number; skipped: string } {
  const self = fileURLToPath(import.meta.url);
  try {
    const out = execFileSync(process.execPath, ['--expose-gc', self, '--child', profile, String(n)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    const line = out.trim().split('\n').at(-1) ?? '{}';
    return JSON.parse(line);
  } catch (error) {
    return { profile, n, skipped: (error as Error).message.split('\n')[0] ?? 'failed' };
  }
}

function fmt(r: ChildResult): string {
  const rate = r.identities / r.scanSeconds;
  const ratio =
    r.idealSeconds > 0
      ? `${((r.idealSeconds / r.scanSeconds) * 100).toFixed(0)}% of ideal (${r.idealSeconds.toFixed(2)} s; ${r.bound})`
      : r.bound;
  return [
    `${r.profile.padEnd(26)} N=${String(r.n).padStart(6)}  ${r.scanSeconds.toFixed(2).padStart(7)} s  ${rate.toFixed(0).padStart(6)} ids/s  ${ratio}`,
    `${''.padEnd(26)} findings ${r.findings}, report ${r.reportSeconds.toFixed(2)} s, throttled ${r.throttled}, calls ${JSON.stringify(r.calls)}, peak RSS ${r.peakRssMb.toFixed(1)} MB, peak heap ${r.peakHeapMb.toFixed(1)} MB, heap after GC ${r.retainedHeapMb.toFixed(1)} MB${r.note ? ` (${r.note})` : ''}`,
  ].join('\n');
}

if (process.argv[2] === '--child') {
  const result = await child(process.argv[3] ?? 'aws', Number(process.argv[4] ?? 1000));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  console.log(
    `nhi scan benchmark — latency ${LATENCY.minMs}-${LATENCY.maxMs} ms per call, one child process per run\n`,
  );
  for (const profile of PROFILE_KEYS.filter((p) => p !== 'moto')) {
    for (const n of SIZES) {
      const r = runChild(profile, n);
      console.log('skipped' in r ? `${profile} N=${n}: skipped: ${r.skipped}` : fmt(r));
    }
  }
  if (PROFILE_KEYS.includes('moto')) {
    // Seeding a shared local moto with 10,000 secrets takes minutes: the real-adapter run uses the smallest N.
    const moto = runChild('moto', Math.min(...SIZES));
    console.log('skipped' in moto ? `moto: skipped (${moto.skipped})` : fmt(moto));
  }
}
