/**
 * Issue 16: a `-v` log line names its provider once. Every provider's logger carries
 * `{provider: <type>, instance}` exactly once (the composition root used to add its own
 * `provider` key, so lines read `"provider":"aws-local",…,"provider":"aws"`). The providers
 * point at a closed loopback port here, so each logs its retries before giving up.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { inProcessCli, localConfig, scratchDir } from '../runbook/local-app.js';

const { dir } = scratchDir('nhi-log-');
const logFile = join(dir, 'nhi.log');
const config = localConfig(
  dir,
  'logs',
  { 'aws-local': 'aws-local', 'vault-local': 'vault-local', 'azure-local': 'azure-local' },
  { log: { level: 'debug', file: logFile } },
);
// Port 9 (discard) on loopback: nothing listens, every call is refused and retried.
const written = JSON.parse(readFileSync(config, 'utf8'));
written.providers['aws-local'].endpoint = 'http://127.0.0.1:9';
written.providers['vault-local'].address = 'http://127.0.0.1:9';
written.providers['azure-local'].vaultUrl = 'https://127.0.0.1:9';
writeFileSync(config, JSON.stringify(written));
const nhi = inProcessCli(() => config);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('every log line of every provider has one provider key and one instance key', async () => {
  for (const instance of ['aws-local', 'vault-local', 'azure-local']) {
    const r = await nhi('-v', 'inventory', '--provider', instance, '--json');
    expect(r.code, `${instance}: ${r.stderr}`).not.toBe(0);
  }
  const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
  const retried = lines.filter((l) => l.includes('call retried'));
  for (const line of retried) {
    expect(line.match(/"provider":/g), line).toHaveLength(1);
    expect(line.match(/"instance":/g), line).toHaveLength(1);
  }
  const who = new Set(
    retried
      .map((l) => JSON.parse(l) as { provider: string; instance: string })
      .map((l) => `${l.provider} ${l.instance}`),
  );
  expect([...who].sort()).toEqual(['aws aws-local', 'azure azure-local', 'vault vault-local']);
}, 120_000);
