/**
 * `nhi serve` as a real process: a schedule fires every second and its scan hangs on a
 * provider endpoint that accepts connections and never answers. SIGTERM must abort the scan
 * (recorded as interrupted, audited, checkpointed), close the store and exit 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { testConfig } from '../scan/helpers.js';
import { testCliMain } from '../servers/test-build.js';

const main = testCliMain();
let blackHole: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  // The global setup built the CLI for this run.
  if (!existsSync(main)) throw new Error(`build did not produce ${main}`);
  blackHole = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => blackHole.close(r));
});

function waitFor(child: ChildProcess, output: () => string, pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; output:\n${output()}`)),
      ms,
    );
    const check = () => {
      if (pattern.test(output())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', check);
    check();
  });
}

describe('nhi serve (child process)', () => {
  it('exits 0 on SIGTERM during a scan, leaving the scan interrupted and audited', async () => {
    const { config, env, dir } = testConfig();
    const port = (blackHole.address() as AddressInfo).port;
    const raw = JSON.parse(
      JSON.stringify({
        ...config,
        sourcePath: undefined,
        baseDir: undefined,
        warnings: undefined,
        fromEnv: undefined,
      }),
    );
    raw.keys = { fingerprint: 'env:NHI_FP_KEY', auditSigning: 'env:NHI_AUDIT_KEY' };
    raw.log = { level: 'info' };
    raw.providers = {
      slow: {
        type: 'aws',
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${port}`,
        credentials: {
          method: 'static',
          accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
          secretAccessKey: 'env:NHI_AWS_SECRET',
        },
        kinds: ['secret'],
      },
    };
    raw.schedules = {
      often: {
        cron: '* * * * * *',
        timezone: 'UTC',
        providers: ['slow'],
        report: { format: 'json', out: './reports/{date}.json' },
      },
    };
    const path = join(dir, 'nhi.config.json');
    writeFileSync(path, JSON.stringify(raw));

    const child = spawn(process.execPath, [main, '--config', path, 'serve'], {
      env: { PATH: process.env.PATH, ...env, AWS_EC2_METADATA_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor(child, () => stderr, /scheduled scan starting/, 20_000);
    await new Promise((r) => setTimeout(r, 300)); // the scan is now waiting on the black hole
    const sentAt = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    expect(code).toBe(0);
    expect(Date.now() - sentAt).toBeLessThan(10_000);

    const lines = stderr
      .trim()
      .split('\n')
      // Node's own warnings (e.g. about NODE_EXTRA_CA_CERTS) are not ours; our logs are JSON lines.
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; level: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'nhi serve stopped']));

    const store = openSqliteStore(join(dir, 'state.db'));
    try {
      const scan = await store.scans.lastScan();
      expect(scan?.status).toBe('interrupted');
      const state = await store.schedules.get('often');
      expect(state?.lastStatus).toBe('interrupted');
      expect(state?.runningSince).toBeUndefined();
      const head = await store.audit.head();
      expect(head).toMatchObject({ type: 'scan.interrupted', subject: scan?.id });
      expect((await store.audit.lastCheckpoint())?.seq).toBe(head?.seq);
    } finally {
      await store.close();
    }
  });
});
