/**
 * Start-up as a user sees it: `nhi --help` beside `node -e 0` (Node's own start-up, same
 * machine, same run), and the time from spawning `nhi inventory` on a secret-only AWS config to
 * the first request reaching the provider endpoint (a loopback HTTP server answering ListSecrets
 * with an empty page). Each is the median of a few spawns; the caller repeats and interleaves.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKeyPair } from '../src/audit/keys.js';
import { median } from './goals.js';

export interface StartupResult {
  helpMs: number;
  nodeMs: number;
  firstCallMs: number;
  /**
   * The same first request from a script that only loads @aws-sdk/client-secrets-manager and
   * sends ListSecrets: what any Node program using the SDK pays before its first call. Not a
   * goal; printed beside the first-call goal so the share that is nhi's own is visible.
   */
  sdkFloorMs: number;
}

/** The SDK floor's script: the SDK client and one ListSecrets, nothing of nhi. */
const SDK_ONLY = `const { SecretsManagerClient, ListSecretsCommand } = require('@aws-sdk/client-secrets-manager');
new SecretsManagerClient({ region: 'eu-west-1', endpoint: process.argv[1], maxAttempts: 1,
  credentials: { accessKeyId: 'AKIABENCHSTARTUP0000', secretAccessKey: 'bench' } })
  .send(new ListSecretsCommand({})).catch(() => process.exit(1));`;

const SPAWNS = 5;
/** dist/bench/startup.js → dist/src/cli/main.js: the CLI as `npm run build` ships it. */
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function timeSpawn(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}

function writeAwsConfig(endpoint: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-bench-startup-'));
  writeKeyPair(join(dir, 'audit'));
  writeFileSync(join(dir, 'fingerprint.key'), 'bench-fingerprint-key-0123456789abcdef', { mode: 0o600 });
  const config = {
    state: { driver: 'sqlite', path: './state.db' },
    keys: { fingerprint: 'file:./fingerprint.key', auditSigning: 'file:./audit.key' },
    log: { level: 'silent' },
    providers: {
      'aws-bench': {
        type: 'aws',
        region: 'eu-west-1',
        endpoint,
        credentials: {
          method: 'static',
          accessKeyId: 'AKIABENCHSTARTUP0000',
          secretAccessKey: 'env:NHI_BENCH_AWS_SECRET',
        },
        kinds: ['secret'],
      },
    },
  };
  const path = join(dir, 'nhi.config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** Spawn → first request at the endpoint, in ms: one `nhi inventory` run, or the SDK-only script. */
async function firstCall(what: 'nhi' | 'sdk'): Promise<number> {
  let t0 = 0;
  let first: number | undefined;
  const server = createServer((req, res) => {
    first ??= performance.now();
    req.resume();
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    res.end(JSON.stringify({ SecretList: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const config = writeAwsConfig(`http://127.0.0.1:${port}`);
  try {
    t0 = performance.now();
    const args =
      what === 'nhi'
        ? [CLI, '--config', config, 'inventory', '--json']
        : ['-e', SDK_ONLY, `http://127.0.0.1:${port}`];
    const child = spawn(process.execPath, args, {
      stdio: 'ignore',
      // The SDK-only script resolves the SDK from the checkout, as the CLI does.
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: {
        ...process.env,
        NHI_BENCH_AWS_SECRET: 'bench-secret-access-key-0000000000000000',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    if (first === undefined) throw new Error(`${what} (exit ${code}) never called the provider`);
    return first - t0;
  } finally {
    server.close();
  }
}

export async function measureStartup(): Promise<StartupResult> {
  timeSpawn(['-e', '0']); // warm the OS file cache for both
  timeSpawn([CLI, '--help']);
  const node: number[] = [];
  const help: number[] = [];
  const calls: number[] = [];
  const sdk: number[] = [];
  for (let i = 0; i < SPAWNS; i++) {
    node.push(timeSpawn(['-e', '0']));
    help.push(timeSpawn([CLI, '--help']));
    calls.push(await firstCall('nhi'));
    sdk.push(await firstCall('sdk'));
  }
  return { nodeMs: median(node), helpMs: median(help), firstCallMs: median(calls), sdkFloorMs: median(sdk) };
}
