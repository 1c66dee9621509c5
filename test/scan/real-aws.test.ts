/**
 * `nhi scan` end to end through the CLI against the real AWS adapter and the local moto
 * server: an untagged secret is orphaned, and a secret deleted (scheduled for deletion) then
 * restored between two scans is re-enabled.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  RestoreSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { MOTO_ENDPOINT, MOTO_REGION } from '../servers/endpoints.js';
import { CANARY, motoSecretsClient, testConfig } from './helpers.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const prefix = `nhi-scan-${randomUUID().slice(0, 8)}/`;
const sm = motoSecretsClient();

function cli(configPath: string, env: NodeJS.ProcessEnv, args: string[]) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: {
      write: (s: string) => {
        stdout += s;
        return true;
      },
    } as unknown as NodeJS.WritableStream,
    stderr: {
      write: (s: string) => {
        stderr += s;
        return true;
      },
    } as unknown as NodeJS.WritableStream,
    env,
  };
  return runCli(['--config', configPath, ...args], io).then((code) => ({ code, stdout, stderr }));
}

afterAll(() => sm.destroy());

describe('nhi scan against moto (real AWS adapter)', () => {
  it('finds an orphaned secret and a secret restored from deletion between two scans', async () => {
    const { config, env, dir } = testConfig();
    // Rewrite the test config as a file the CLI loads: one aws instance on moto, this suite's prefix only.
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
    raw.providers = {
      moto: {
        type: 'aws',
        region: MOTO_REGION,
        endpoint: MOTO_ENDPOINT,
        credentials: {
          method: 'static',
          accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
          secretAccessKey: 'env:NHI_AWS_SECRET',
        },
        kinds: ['secret'],
        secrets: { namePrefix: prefix },
      },
    };
    raw.notify = {
      sec: {
        type: 'webhook',
        url: 'http://127.0.0.1:9/closed',
        secret: 'env:NHI_WEBHOOK_KEY',
        events: ['finding'],
        attempts: 1,
        timeoutMs: 500,
      },
    };
    raw.schedules = {};
    const path = join(dir, 'nhi.config.json');
    writeFileSync(path, JSON.stringify(raw));
    const runEnv = {
      ...env,
      NHI_AWS_SECRET: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_EC2_METADATA_DISABLED: 'true',
    };

    await sm.send(
      new CreateSecretCommand({
        Name: `${prefix}owned`,
        SecretString: CANARY,
        Tags: [{ Key: 'owner', Value: 'alice' }],
      }),
    );
    await sm.send(new CreateSecretCommand({ Name: `${prefix}untagged`, SecretString: CANARY }));
    await sm.send(
      new CreateSecretCommand({
        Name: `${prefix}flip`,
        SecretString: CANARY,
        Tags: [{ Key: 'owner', Value: 'payments' }],
      }),
    );
    await sm.send(new DeleteSecretCommand({ SecretId: `${prefix}flip`, RecoveryWindowInDays: 7 }));

    const first = await cli(path, runEnv, [
      'scan',
      '--format',
      'json',
      '--out',
      join(dir, 'r1.json'),
      '--fail-on',
      'high',
    ]);
    expect(first.stderr).toMatch(/completed: 3 identities/);
    expect(first.code).toBe(0);
    const r1 = JSON.parse(readFileSync(join(dir, 'r1.json'), 'utf8'));
    expect(r1.findings.map((f: { type: string; ref: string }) => `${f.type} ${f.ref}`)).toEqual([
      `orphaned moto:secret:${prefix}untagged`,
    ]);
    expect(r1.summary.byState).toEqual({ enabled: 2, deleted: 1 });

    await sm.send(new RestoreSecretCommand({ SecretId: `${prefix}flip` }));
    const second = await cli(path, runEnv, ['scan', '--fail-on', 'high']);
    expect(second.code).toBe(4);
    expect(second.stdout).toMatch(new RegExp(`high \\*\\s+reenabled\\s+moto:secret:${prefix}flip`));
    expect(second.stderr).toMatch(/alert delivery\(ies\) failed/);

    const listed = await cli(path, runEnv, ['--json', 'findings', '--open']);
    const doc = JSON.parse(listed.stdout);
    expect(doc.findings.map((f: { type: string }) => f.type).sort()).toEqual(['orphaned', 'reenabled']);
    expect(doc.failedDeliveries.length).toBeGreaterThan(0);
    const table = await cli(path, runEnv, ['findings']);
    expect(table.stdout).toMatch(/Failed alert deliveries/);
    for (const out of [first, second, listed, table]) expect(out.stdout + out.stderr).not.toContain(CANARY);
    expect(readFileSync(join(dir, 'r1.json'), 'utf8')).not.toContain(CANARY);
  });
});
