/**
 * Issue 14: `nhi serve` on PostgreSQL reports not ready while its database is down and ready again
 * once it is back, without a restart. The database is a cluster of this test's own (the shared
 * test server must keep running for the other test files), really stopped and started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { motoSecretsProvider, writeTestConfig } from '../scan/helpers.js';
import { type PrivatePostgres, startPrivatePostgres } from '../servers/private-postgres.js';
import { testCliMain } from '../servers/test-build.js';

const PASSWORD = `pg-canary-${process.pid}-never-shown`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let child: ChildProcess | undefined;
let db: PrivatePostgres | undefined;
afterAll(async () => {
  child?.kill('SIGKILL');
  await db?.destroy();
});

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>, log: () => string) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; stderr:\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('nhi serve on PostgreSQL', () => {
  it('/readyz is 503 while the database is stopped and 200 again after it restarts', async () => {
    db = await startPrivatePostgres();
    const port = await freePort();
    const { configPath, env, dir } = writeTestConfig({
      log: { level: 'info' },
      state: { url: 'env:NHI_DATABASE_URL' },
      ops: { listen: `127.0.0.1:${port}` },
      providers: { aws: motoSecretsProvider(`readyz-pg-${process.pid}/`) },
      schedules: { often: { cron: '*/2 * * * * *', timezone: 'UTC', providers: ['aws'] } },
    });
    // Trust auth ignores the password; it is there to prove it is never shown.
    const url = new URL(db.url);
    url.password = PASSWORD;
    child = spawn(process.execPath, [testCliMain(), '--config', configPath, 'serve'], {
      env: {
        PATH: process.env.PATH,
        ...env,
        NHI_DATABASE_URL: url.toString(),
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (c) => {
      output += c;
    });
    child.stderr?.on('data', (c) => {
      output += c;
    });
    const log = () => output.slice(-3000);
    const readyz = async () => {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };

    const up = await until(
      'ready',
      30_000,
      async () => ((await readyz()).status === 200 ? await readyz() : undefined),
      log,
    );
    expect(up.body).toMatchObject({ ready: true, role: 'leader' });

    await db.stop();
    const down = await until(
      'not ready',
      15_000,
      async () => {
        const r = await readyz();
        return r.status === 503 ? r : undefined;
      },
      log,
    );
    expect(down.body).toMatchObject({ ready: false });
    expect(String(down.body.reason)).toMatch(/^store unreachable/);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    // Down across several leader beats and scheduled ticks: the process must ride it out.
    await new Promise((r) => setTimeout(r, 6_000));
    expect(child.exitCode, log()).toBeNull();

    await db.start();
    const back = await until(
      'ready again',
      30_000,
      async () => {
        const r = await readyz();
        return r.status === 200 ? r : undefined;
      },
      log,
    );
    expect(back.body).toMatchObject({ ready: true });
    // Still one process, still scanning on schedule once the database is back.
    expect(child.exitCode, log()).toBeNull();
    const scansBefore = (output.match(/scheduled scan starting/g) ?? []).length;
    await until(
      'a scan after the restart',
      20_000,
      async () => ((output.match(/scheduled scan starting/g) ?? []).length > scansBefore ? true : undefined),
      log,
    );

    child.kill('SIGTERM');
    expect(await new Promise((r) => child?.on('exit', r))).toBe(0);
    expect(output).not.toContain(PASSWORD);
    writeFileSync(join(dir, 'serve.log'), output);
    if (process.env.SHOW_SERVE_LOG) console.log(output);
  }, 120_000);
});
