/**
 * `nhi scan` on the real local servers with owner tags that name prototype members of a plain
 * object (`__proto__`, `constructor`, `toString`, `hasOwnProperty`): each is an unknown owner, so
 * the identity is an `orphaned` finding, never "owned" by Object.prototype. Vault (OpenBao) KV
 * custom metadata and AWS (moto) Secrets Manager tags.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { localConfig, ROOT, scratchDir } from '../runbook/local-app.js';
import { MOTO_ENDPOINT, MOTO_REGION, OPENBAO_ADDR, OPENBAO_ROOT_TOKEN } from '../servers/endpoints.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const run = randomUUID().slice(0, 8);
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
const mount = `nhi-proto-${run}`;
const awsPrefix = `nhi-proto-${run}/`;

interface Finding {
  type: string;
  ref: string;
  evidence: Record<string, unknown>;
}

async function cli(configPath: string, args: string[]) {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    ({
      write: (s: string) => {
        add(s);
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  const io = {
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    env: { ...process.env },
  };
  const code = await runCli(['--config', configPath, ...args], io);
  return { code, stdout, stderr };
}

async function bao(method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${OPENBAO_ADDR}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': OPENBAO_ROOT_TOKEN, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok)
    throw new Error(`OpenBao ${method} ${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
}

async function retry<T>(fn: () => Promise<T>, tries = 40): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= tries) throw error;
      await new Promise((r) => setTimeout(r, 250)); // a fresh KV v2 mount answers 400 "upgrading" for a moment
    }
  }
}

const sm = new SecretsManagerClient({
  region: MOTO_REGION,
  endpoint: MOTO_ENDPOINT,
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: readFileSync(join(ROOT, 'test/servers/moto-secret-key'), 'utf8').trim(),
  },
  maxAttempts: 1,
});
const awsSecrets: string[] = [];

afterAll(async () => {
  await bao('DELETE', `sys/mounts/${mount}`).catch(() => undefined);
  for (const name of awsSecrets)
    await sm
      .send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }))
      .catch(() => undefined);
  sm.destroy();
});

/** `nhi scan --format json --out`, this suite's findings as "type ref" pairs plus the findings. */
async function scan(config: string, out: string, mine: (ref: string) => boolean) {
  const r = await cli(config, ['scan', '--format', 'json', '--out', out]);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  expect(report.scan.errors, r.stderr).toEqual([]);
  expect(r.code, r.stderr).toBe(0);
  const findings = (report.findings as Finding[]).filter((f) => mine(f.ref));
  return { findings, pairs: findings.map((f) => `${f.type} ${f.ref}`).sort() };
}

describe('owner tags naming prototype members, on the real servers', () => {
  it('Vault KV: owner=__proto__ / constructor / toString / hasOwnProperty are orphaned (unknown owner); owner=alice is not', async () => {
    const { dir } = scratchDir('nhi-proto-vault-');
    const config = localConfig(dir, 'vault', { 'vault-local': 'vault-local' });
    const cfg = JSON.parse(readFileSync(config, 'utf8'));
    Object.assign(cfg.providers['vault-local'], { kinds: ['kv'], kv: { mounts: [mount] } });
    writeFileSync(config, JSON.stringify(cfg));

    await bao('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '2' } });
    const paths = ['owned', ...NAMES.map((_, i) => `proto-${i}`)];
    for (const [i, p] of paths.entries()) {
      await retry(() => bao('POST', `${mount}/data/app/${p}`, { data: { password: 'v' } }));
      const owner = i === 0 ? 'alice' : (NAMES[i - 1] as string);
      await bao('POST', `${mount}/metadata/app/${p}`, { custom_metadata: { owner } });
    }
    const ref = (p: string) => `vault-local:kv:${mount}/app/${p}`;
    const { findings, pairs } = await scan(config, join(dir, 'report.json'), (r) =>
      r.startsWith(`vault-local:kv:${mount}/`),
    );
    expect(pairs).toEqual(NAMES.map((_, i) => `orphaned ${ref(`proto-${i}`)}`).sort());
    NAMES.forEach((name, i) => {
      expect(findings.find((f) => f.ref === ref(`proto-${i}`))?.evidence).toMatchObject({
        reason: 'unknown-owner',
        unknown: [name],
      });
    });
  });

  it('AWS Secrets Manager: a tag owner=__proto__ (or constructor, ...) is an orphaned secret', async () => {
    const { dir } = scratchDir('nhi-proto-aws-');
    const config = localConfig(dir, 'aws', { 'aws-local': 'aws-local' });
    const cfg = JSON.parse(readFileSync(config, 'utf8'));
    Object.assign(cfg.providers['aws-local'], { kinds: ['secret'], secrets: { namePrefix: awsPrefix } });
    writeFileSync(config, JSON.stringify(cfg));

    const owners = ['alice', ...NAMES];
    for (const [i, owner] of owners.entries()) {
      const name = `${awsPrefix}s${i}`;
      await sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: 'v',
          Tags: [
            { Key: 'owner', Value: owner },
            // A tag *key* that is a prototype member is just another tag.
            { Key: '__proto__', Value: 'alice' },
          ],
        }),
      );
      awsSecrets.push(name);
    }
    const ref = (i: number) => `aws-local:secret:${awsPrefix}s${i}`;
    const { findings, pairs } = await scan(config, join(dir, 'report.json'), (r) =>
      r.startsWith(`aws-local:secret:${awsPrefix}`),
    );
    expect(pairs).toEqual(NAMES.map((_, i) => `orphaned ${ref(i + 1)}`).sort());
    NAMES.forEach((name, i) => {
      expect(findings.find((f) => f.ref === ref(i + 1))?.evidence).toMatchObject({
        reason: 'unknown-owner',
        unknown: [name],
      });
    });
  });
});
