/**
 * `npm run bench` (`-- --json` for machines): measures issue 17's goals (and issue 15's incident
 * recoveries at the write quota, plus an end-to-end incident on local moto), each beside its limit
 * from the same run, and prints a ratio and PASS/FAIL per goal. Every measurement runs in its own
 * child process (peak RSS is that run's), repeated BENCH_REPEAT times (default 3) with the
 * different measurements interleaved, and every figure is the median of its repeats. The
 * machine is shared, so figures move with its load; the limits are ratios for that reason.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type AuditChildResult, auditChild } from './audit-child.js';
import { formatGoals, type Goal, goalsJson, median } from './goals.js';
import { type IncidentChildArgs, incidentChild } from './incident-child.js';
import { incidentMotoChild, motoAnswers } from './incident-moto.js';
import { type ScanChildArgs, type ScanChildResult, scanChild } from './scan-child.js';
import { measureStartup, type StartupResult } from './startup.js';
import { type AppendsResult, appendsChild, benchDatabase, benchDatabaseAnswers } from './store-child.js';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const [MIN_MS = 20, MAX_MS = 50] = (process.env.BENCH_LATENCY_MS ?? '20,50').split(',').map(Number);
const LATENCY = { minMs: MIN_MS, maxMs: MAX_MS };
const SCAN_N = Number(process.env.BENCH_SCAN_N ?? 10_000);
const RSS_SIZES = (process.env.BENCH_RSS_SIZES ?? '1000,100000').split(',').map(Number);
const AUDIT_N = Number(process.env.BENCH_AUDIT_N ?? 100_000);
/** Signature worker threads for `audit verify` (default: the other cores, at most 2). */
const AUDIT_WORKERS = process.env.BENCH_AUDIT_WORKERS ? Number(process.env.BENCH_AUDIT_WORKERS) : undefined;
const STORE_APPENDS = Number(process.env.BENCH_STORE_APPENDS ?? 2_000);
const STORE_LATENCY = { minMs: 0, maxMs: 1 };
const INCIDENT_N = Number(process.env.BENCH_INCIDENT_N ?? 1_000);
const INCIDENT_MOTO_N = Number(process.env.BENCH_INCIDENT_MOTO_N ?? 100);
const JSON_OUT = process.argv.includes('--json');

const self = fileURLToPath(import.meta.url);

/**
 * The node flags the shipped `nhi` launcher runs with (its `#!/usr/bin/env -S node …` line):
 * each child runs under them, so peak RSS is what the CLI would show, not a bare `node`'s.
 */
function launcherFlags(): string[] {
  const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const shebang = readFileSync(main, 'utf8').split('\n', 1)[0] ?? '';
  const words = shebang.replace(/^#!\S*env\s+(-S\s+)?/, '').split(/\s+/);
  return words[0] === 'node' ? words.slice(1).filter(Boolean) : [];
}
const LAUNCHER_FLAGS = launcherFlags();

function child<T>(kind: string, args: unknown): T {
  const argv = [...LAUNCHER_FLAGS, '--expose-gc', self, '--child', kind, JSON.stringify(args)];
  const out = execFileSync(process.execPath, argv, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 2 ** 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as T;
}

const log = (line: string) => {
  if (!JSON_OUT) console.log(line);
  else process.stderr.write(`${line}\n`);
};

/** A measurement on a PostgreSQL database of its own, dropped afterwards. */
async function onDatabase<T>(fn: (url: string) => T): Promise<T> {
  const db = await benchDatabase();
  try {
    return fn(db.url);
  } finally {
    await db.drop();
  }
}

/** The measurements, by name; each repeat runs all of them once, in this order. */
const RUNS: Record<string, () => unknown> = {
  // The pipeline at the quota: AWS at its defaults (its ListSecrets budget is not the bound);
  // Azure with the whole vault quota, as for a vault the scan does not share.
  'scan aws': () =>
    child<ScanChildResult>('scan', { provider: 'aws', mode: 'scan', n: SCAN_N, latency: LATENCY }),
  'scan azure': () =>
    child<ScanChildResult>('scan', {
      provider: 'azure',
      mode: 'scan',
      n: Math.min(SCAN_N, 5_000),
      latency: LATENCY,
      rateLimit: { readsPerSecond: 396, concurrency: 32 },
    }),
  // The adapters alone at default settings. ListSecrets pages are sequential (each token comes
  // with the previous page), so at 20-50 ms a page no budget can reach its 100/s quota; the AWS
  // check runs at 2-4 ms, where the adapter's own budget is what binds.
  'defaults aws': () =>
    child<ScanChildResult>('scan', {
      provider: 'aws',
      mode: 'drain',
      n: 100_000,
      latency: { minMs: 2, maxMs: 4 },
    }),
  'defaults azure': () =>
    child<ScanChildResult>('scan', { provider: 'azure', mode: 'drain', n: 4_000, latency: LATENCY }),
  audit: () => child<AuditChildResult>('audit', { n: AUDIT_N, workers: AUDIT_WORKERS }),
  // Issue 14: the same work into SQLite and into PostgreSQL on this machine (figures, no goal).
  'store appends sqlite': () => child<AppendsResult>('appends', { backend: 'sqlite', n: STORE_APPENDS }),
  'store appends postgres': () =>
    onDatabase((url) => child<AppendsResult>('appends', { backend: 'postgres', n: STORE_APPENDS, url })),
  'store scan sqlite': () =>
    child<ScanChildResult>('scan', { provider: 'aws', mode: 'scan', n: SCAN_N, latency: STORE_LATENCY }),
  'store scan postgres': () =>
    onDatabase((databaseUrl) =>
      child<ScanChildResult>('scan', {
        provider: 'aws',
        mode: 'scan',
        n: SCAN_N,
        latency: STORE_LATENCY,
        databaseUrl,
      }),
    ),
  startup: () => child<StartupResult>('startup', {}),
  // Issue 15: an incident's recoveries through the real engine and AWS adapter at its defaults,
  // against the write quota; and the real CLI against local moto, end to end (a figure).
  'incident aws': () => child('incident', { n: INCIDENT_N, latency: LATENCY } satisfies IncidentChildArgs),
  'incident moto': () => child('incident-moto', { n: INCIDENT_MOTO_N }),
  ...Object.fromEntries(
    RSS_SIZES.map((n) => [
      `rss ${n}`,
      () => child<ScanChildResult>('scan', { provider: 'aws', mode: 'scan', n, latency: LATENCY }),
    ]),
  ),
};

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',');
  const postgres = await benchDatabaseAnswers();
  const moto = await motoAnswers();
  const names = Object.keys(RUNS)
    .filter((n) => !only || only.some((o) => n.startsWith(o)))
    .filter((n) => postgres || !n.endsWith(' postgres'))
    .filter((n) => moto || n !== 'incident moto');
  if (!postgres)
    log(
      '  PostgreSQL not answering on loopback: store comparison without it (npm run servers:up -- postgres)',
    );
  if (!moto) log('  moto not answering on loopback: incident moto skipped (npm run servers:up)');
  const results = new Map<string, unknown[]>(names.map((n) => [n, []]));
  log(
    `nhi benchmark: ${REPEAT} interleaved repeat(s), latency ${LATENCY.minMs}-${LATENCY.maxMs} ms, medians; children run with the launcher's flags (${LAUNCHER_FLAGS.join(' ') || 'none'})`,
  );
  for (let r = 0; r < REPEAT; r++) {
    for (const name of names) {
      const t0 = performance.now();
      const result = await (RUNS[name] as () => unknown)();
      (results.get(name) as unknown[]).push(result);
      log(`  [${r + 1}/${REPEAT}] ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  const table = (await import('./goal-table.js')).goalTable(results, { latency: LATENCY });
  const incident = (await import('./incident-table.js')).incidentTable(results);
  const goals = [...table.goals, ...incident.goals];
  const figures = [...table.figures, ...incident.figures];
  const stores = (await import('./store-table.js')).storeComparison(results);
  if (JSON_OUT)
    console.log(
      goalsJson(goals, {
        repeat: REPEAT,
        latency: LATENCY,
        figures,
        storeComparison: stores.json,
        incident: incident.json,
      }),
    );
  else {
    console.log(`\n${[...figures, ...stores.lines].join('\n')}\n`);
    console.log(formatGoals(goals));
  }
}

if (process.argv[2] === '--child') {
  const kind = process.argv[3];
  const args = JSON.parse(process.argv[4] ?? '{}');
  const run: Record<string, () => Promise<unknown>> = {
    scan: () => scanChild(args as ScanChildArgs),
    audit: () => auditChild(args as { n: number; workers?: number }),
    appends: () => appendsChild(args as Parameters<typeof appendsChild>[0]),
    startup: () => measureStartup(),
    incident: () => incidentChild(args as IncidentChildArgs),
    'incident-moto': () => incidentMotoChild(args as { n: number }),
  };
  const result = await (run[kind ?? ''] ?? (() => Promise.reject(new Error(`unknown child ${kind}`))))();
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  await main();
}

export type { Goal };
export { median };
