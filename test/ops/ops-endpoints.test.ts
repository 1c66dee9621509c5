/**
 * Issue 14: `nhi serve` with `ops` configured, as a real process against moto: /healthz, /readyz
 * (ready as leader) and /metrics in Prometheus text format, parsed for the named series — and
 * nothing in it names a scanned secret or carries its value. The readiness flip (database down →
 * 503 → back → 200) is test/ops/readyz-postgres.test.ts, on a real PostgreSQL really stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { motoSecretsClient, motoSecretsProvider, writeTestConfig } from '../scan/helpers.js';
import { testCliMain } from '../servers/test-build.js';

const CANARY = `ops-canary-${process.pid}-do-not-leak`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** `name{labels} value` lines of the text exposition, as [series, value]. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text format: ${line}`);
    out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

const sum = (series: Map<string, number>, prefix: string) =>
  [...series].filter(([k]) => k.startsWith(prefix)).reduce((s, [, v]) => s + v, 0);

let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
});

describe('operations endpoints', () => {
  it('serves health, readiness and Prometheus metrics from nhi serve', async () => {
    const prefix = `ops-test-${process.pid}/`;
    const sm = motoSecretsClient();
    await sm.send(new CreateSecretCommand({ Name: `${prefix}payments-db`, SecretString: CANARY }));

    const port = await freePort();
    const { configPath, env } = writeTestConfig({
      log: { level: 'info' },
      ops: { listen: `127.0.0.1:${port}` },
      providers: { aws: motoSecretsProvider(prefix) },
      schedules: { often: { cron: '*/2 * * * * *', timezone: 'UTC', providers: ['aws'] } },
    });
    child = spawn(process.execPath, [testCliMain(), '--config', configPath, 'serve'], {
      env: { PATH: process.env.PATH, ...env, AWS_EC2_METADATA_DISABLED: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c) => {
      stderr += c;
    });
    const base = `http://127.0.0.1:${port}`;
    const get = async (path: string) => {
      const res = await fetch(`${base}${path}`);
      return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
    };

    // Wait for a completed scheduled scan to show in the metrics.
    let series = new Map<string, number>();
    let text = '';
    const end = Date.now() + 30_000;
    for (;;) {
      const r = await get('/metrics').catch(() => undefined);
      if (r?.status === 200) {
        text = r.text;
        series = parseMetrics(text);
        if (sum(series, 'nhi_scans_total{status="completed"}') >= 1) break;
      }
      if (Date.now() > end)
        throw new Error(`no completed scan in /metrics after 30 s; stderr:\n${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    expect((await get('/healthz')).status).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ ready: true, role: 'leader' });
    expect((await get('/nope')).status).toBe(404);

    const metrics = await get('/metrics');
    expect(metrics.type).toContain('text/plain');
    expect(series.get('nhi_leader')).toBe(1);
    expect(
      series.get('nhi_provider_calls_total{provider="aws",operation="ListSecrets",outcome="ok"}'),
    ).toBeGreaterThan(0);
    expect(
      series.get('nhi_provider_call_duration_seconds_count{provider="aws",operation="ListSecrets"}'),
    ).toBeGreaterThan(0);
    expect(series.get('nhi_scan_identities')).toBe(1);
    expect(sum(series, 'nhi_scan_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sum(series, 'nhi_audit_entries_total{type="serve.leader-elected"}')).toBe(1);
    expect(series.get('nhi_audit_head_seq')).toBeGreaterThan(0);
    expect(series.get('nhi_audit_last_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(series.get('nhi_audit_tail_intact')).toBe(1);
    expect(sum(series, 'nhi_findings_open')).toBeGreaterThanOrEqual(0);
    for (const name of [
      'nhi_runs_total',
      'nhi_approvals_total',
      'nhi_refusals_total',
      'nhi_provider_retries_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} counter`);
    }
    // Names of operations and types only: no ref, no secret name, no value.
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('payments-db');

    child.kill('SIGTERM');
    expect(await new Promise((r) => child?.on('exit', r))).toBe(0);
  }, 60_000);
});
