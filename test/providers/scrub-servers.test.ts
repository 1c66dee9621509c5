/**
 * Issue 11 item 6 on the real servers, not only Vault: a provider error whose text echoes the
 * request body (or quotes the refused value as its error code) carries no secret value anywhere.
 *
 * Neither moto nor the Key Vault fake ever echoes a request, so a loopback proxy (echo-proxy.ts,
 * 127.0.0.1 only) sits in front of each: it forwards the one write that carries the new secret
 * with the secret taken out, the real server refuses it with a real error (moto:
 * InvalidRequestException "You must provide either SecretString or SecretBinary"; the fake:
 * BadParameter "Property value is required"), and the proxy rewrites that error to quote the
 * original body — and, per case, to put the secret in the error code and answer 500 (retried,
 * so the retry logs are exercised too). The canaries are the values the proxy saw in flight:
 * the generated secret, the IAM key pair written to its delivery secret and the SecretAccessKey
 * CreateAccessKey returned.
 *
 * Each case checks, per provider, the adapter called directly (the thrown error and the log, and
 * that the adapter registered every canary in ctx.inFlight) and a recovery through the real CLI
 * (its stdout and stderr at log level debug, and the run record, steps, request, lineage,
 * deliveries and every audit entry it stored).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { ProviderError } from '../../src/lib/errors.js';
import type { GeneratorSpec } from '../../src/lib/generator.js';
import { parseRef } from '../../src/lib/ref.js';
import { InFlightSecrets } from '../../src/lib/scrub.js';
import type { ReissueContext } from '../../src/provider.js';
import { approvedRequest, CLI, localConfig, ROOT, scratchDir } from '../runbook/local-app.js';
import { AZURE_KEYVAULT_URL, LOWKEY_CA_PEM, MOTO_ENDPOINT } from '../servers/endpoints.js';
import { motoClientConfig } from './aws.fixture.js';
import { fixtureClient } from './azure.fixture.js';
import { type EchoMode, type EchoProxy, type ServerDialect, startEchoProxy } from './echo-proxy.js';

const suffix = randomUUID().slice(0, 8);
/** The fake's self-signed certificate (SAN IP:127.0.0.1) and key: the Key Vault proxy serves them too. */
const KEYVAULT_CERT = join(ROOT, '.servers', 'keyvault-ca.pem');
const KEYVAULT_KEY = join(ROOT, '.servers', 'keyvault-key.pem');
const DELIVERY_PREFIX = 'nhi/iam-keys/';

const MODES: EchoMode[] = [
  { status: 400, into: 'message' },
  { status: 400, into: 'code' },
  { status: 500, into: 'code' },
];

let moto: EchoProxy;
let keyvault: EchoProxy;
let aliceKey: string;
/** The CLI's config: logs on stderr at debug. */
let cliConfig: string;
/** The direct adapter calls' config: logs into a file the test reads. */
let directConfig: string;
let directLog: string;

/** Point a config built from local.config.json at the proxies. */
function throughProxies(path: string, log: Record<string, unknown>): void {
  const cfg = JSON.parse(readFileSync(path, 'utf8'));
  cfg.providers['aws-test'].endpoint = moto.url;
  cfg.providers['aws-test'].iam = { deliveryPrefix: DELIVERY_PREFIX };
  cfg.providers['azure-test'].vaultUrl = keyvault.url;
  cfg.providers['azure-test'].caFile = KEYVAULT_CERT;
  cfg.log = log;
  writeFileSync(path, JSON.stringify(cfg));
}

beforeAll(async () => {
  moto = await startEchoProxy({ upstream: MOTO_ENDPOINT });
  keyvault = await startEchoProxy({
    upstream: AZURE_KEYVAULT_URL,
    upstreamCa: readFileSync(LOWKEY_CA_PEM, 'utf8'),
    tls: { key: readFileSync(KEYVAULT_KEY, 'utf8'), cert: readFileSync(KEYVAULT_CERT, 'utf8') },
    rewriteOrigin: true,
  });
  const scratch = scratchDir('nhi-scrub-servers-');
  aliceKey = scratch.key('alice');
  const instances = { 'aws-test': 'aws-local', 'azure-test': 'azure-local' };
  cliConfig = localConfig(scratch.dir, 'scrub-cli', instances);
  throughProxies(cliConfig, { level: 'debug' });
  directConfig = localConfig(scratch.dir, 'scrub-direct', instances);
  directLog = join(scratch.dir, 'direct.log');
  throughProxies(directConfig, { level: 'trace', file: directLog });
});

afterAll(async () => {
  await moto?.close();
  await keyvault?.close();
});

// ---- what the servers speak ---------------------------------------------------------------

/** Secrets Manager (JSON 1.1) writes whose SecretString is the new value (or the delivered pair). */
function secretsManagerDialect(
  matches: (op: string, input: Record<string, unknown>) => boolean,
): ServerDialect {
  return {
    pick(req, body) {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (!target.startsWith('secretsmanager.')) return undefined;
      const input = JSON.parse(body) as Record<string, unknown>;
      const value = input.SecretString;
      if (typeof value !== 'string' || !matches(target.slice('secretsmanager.'.length), input))
        return undefined;
      const { SecretString: _taken, ...rest } = input;
      let key: string | undefined;
      try {
        key = (JSON.parse(value) as { SecretAccessKey?: string }).SecretAccessKey;
      } catch {
        key = undefined;
      }
      // An error code cannot hold ':' or ',' (the SDK cuts there): quote the bare key of a pair.
      return { forward: JSON.stringify(rest), secrets: key ? [value, key] : [value], codeEcho: key ?? value };
    },
    echo(real, original, broken, mode) {
      const said = JSON.parse(real.body) as { __type?: string; message?: string; Message?: string };
      const type = mode.into === 'code' ? broken.codeEcho : String(said.__type);
      return {
        status: mode.status,
        headers: { ...real.headers, 'x-amzn-errortype': type },
        body: JSON.stringify({
          __type: type,
          message: `${said.message ?? said.Message} Request: ${original}`,
        }),
      };
    },
    secretsIn(req, body, answer) {
      // IAM (query protocol): CreateAccessKey hands the adapter a new SecretAccessKey.
      if (!String(req.headers['content-type']).includes('x-www-form-urlencoded')) return [];
      if (!new URLSearchParams(body).get('Action')?.startsWith('CreateAccessKey')) return [];
      const key = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(answer)?.[1];
      return key ? [key] : [];
    },
  };
}

/** Key Vault SetSecret of one secret. */
function keyVaultDialect(name: string): ServerDialect {
  return {
    pick(req, body) {
      const path = (req.url ?? '').split('?')[0];
      if (req.method !== 'PUT' || path !== `/secrets/${name}`) return undefined;
      const input = JSON.parse(body) as Record<string, unknown>;
      if (typeof input.value !== 'string') return undefined;
      const { value, ...rest } = input;
      return { forward: JSON.stringify(rest), secrets: [value], codeEcho: value };
    },
    echo(real, original, broken, mode) {
      const said = JSON.parse(real.body) as { error: { code: string; message: string } };
      return {
        status: mode.status,
        headers: real.headers,
        body: JSON.stringify({
          error: {
            code: mode.into === 'code' ? broken.codeEcho : said.error.code,
            message: `${said.error.message} Request body: ${original}`,
          },
        }),
      };
    },
  };
}

// ---- seeds ----------------------------------------------------------------------------------

const sm = new SecretsManagerClient(motoClientConfig());
const iam = new IAMClient(motoClientConfig());
let seq = 0;

async function awsSecret(): Promise<string> {
  const name = `nhi-scrub-${suffix}-${++seq}`;
  await sm.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: 'old-value',
      Tags: [{ Key: 'owner', Value: 'alice' }],
    }),
  );
  return `aws-test:secret:${name}`;
}

async function iamKey(): Promise<string> {
  const user = `nhi-scrub-${suffix}-${++seq}`;
  await iam.send(new CreateUserCommand({ UserName: user, Tags: [{ Key: 'owner', Value: 'alice' }] }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: user }));
  return `aws-test:iam-key:${user}/${key.AccessKey?.AccessKeyId}`;
}

async function azureSecret(): Promise<string> {
  const name = `nhi-scrub-${suffix}-${++seq}`;
  await fixtureClient({ vaultUrl: AZURE_KEYVAULT_URL, caFile: LOWKEY_CA_PEM }).setSecret(name, 'old-value', {
    tags: { owner: 'alice' },
  });
  return `azure-test:secret:${name}`;
}

// ---- checks ---------------------------------------------------------------------------------

/** Message, stack and JSON of an error and its causes. */
const everything = (e: unknown): string => {
  const parts: string[] = [];
  for (let x = e, i = 0; x && i < 8; x = (x as Error).cause, i++)
    parts.push(String((x as Error).message), String((x as Error).stack), JSON.stringify(x));
  return parts.join('\n');
};

function expectNone(canaries: readonly string[], where: string, text: string): void {
  for (const c of canaries) expect(text.includes(c), `${where} holds a secret value in flight`).toBe(false);
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Asynchronous: the proxies answer from this process's event loop.
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--config', cliConfig, ...args], { env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Case {
  label: string;
  proxy: () => EchoProxy;
  dialect: (ref: string) => ServerDialect;
  seed: () => Promise<string>;
  runbook: string;
  generator: GeneratorSpec;
  mode: EchoMode;
}

/** The adapter called directly: what it throws and logs, and what it registered as in flight. */
async function direct(c: Case): Promise<void> {
  const ref = await c.seed();
  const proxy = c.proxy();
  proxy.dialect = c.dialect(ref);
  proxy.mode = c.mode;
  proxy.seen.clear();
  proxy.broke = 0;
  writeFileSync(directLog, '');
  const app = await createApp({ configPath: directConfig });
  const inFlight = new InFlightSecrets();
  let error: unknown;
  try {
    const provider = await app.provider(parseRef(ref).instance);
    const runId = `run_direct_${randomUUID()}`;
    const ctx: ReissueContext = {
      runId,
      stepId: 'reissue',
      idempotencyKey: `${runId}:reissue`,
      fingerprint: app.fingerprint,
      logger: app.logger,
      params: {},
      generator: c.generator,
      inFlight,
    };
    error = await provider.reissue(parseRef(ref), ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
  } finally {
    await app.close();
  }
  expect(proxy.problems).toEqual([]);
  expect(proxy.broke).toBeGreaterThan(0);
  const canaries = [...proxy.seen];
  expect(canaries.length).toBeGreaterThan(0);
  expect(error).toBeInstanceOf(ProviderError);
  expect((error as ProviderError).status).toBe(c.mode.status);
  if (c.mode.into === 'code') expect((error as Error).message).toContain('[redacted]');
  expectNone(canaries, 'the thrown error', everything(error));
  expectNone(canaries, 'the log', readFileSync(directLog, 'utf8'));
  // The executor's last line of defence has every value the adapter sent or received.
  expect(inFlight.values()).toEqual(expect.arrayContaining(canaries));
}

/** A recovery through the CLI: its output and everything the run stored. */
async function throughCli(c: Case): Promise<void> {
  const ref = await c.seed();
  const proxy = c.proxy();
  proxy.dialect = c.dialect(ref);
  proxy.mode = c.mode;
  let app = await createApp({ configPath: cliConfig });
  let requestId: string;
  try {
    requestId = await approvedRequest(app, ref, c.runbook, { alice: aliceKey });
  } finally {
    await app.close();
  }
  proxy.seen.clear();
  proxy.broke = 0;
  const out = await cli(['run', requestId, '--as', 'carol']);
  expect(proxy.problems).toEqual([]);
  expect(proxy.broke, out.stderr).toBeGreaterThan(0);
  const canaries = [...proxy.seen];
  expect(canaries.length).toBeGreaterThan(0);
  expect(out.code, out.stderr).not.toBe(0);
  expectNone(canaries, 'stdout', out.stdout);
  expectNone(canaries, 'stderr', out.stderr);

  app = await createApp({ configPath: cliConfig });
  try {
    const run = (await app.store.runs.forRequest(requestId))[0];
    expect(run?.status, run?.error).toBe('needs-attention');
    expect(run?.error).toMatch(/^step reissue failed: /);
    if (c.mode.into === 'code') expect(run?.error).toContain('[redacted]');
    const stored = [
      JSON.stringify(run),
      JSON.stringify(await app.store.runs.steps(run?.id ?? '')),
      JSON.stringify(await app.store.requests.get(requestId)),
      JSON.stringify(await app.store.lineage.forRef(ref)),
      JSON.stringify(await app.store.deliveries.list()),
    ];
    for await (const entry of app.store.audit.entries()) stored.push(JSON.stringify(entry));
    expectNone(canaries, 'the state store / audit log', stored.join('\n'));
  } finally {
    await app.close();
  }
}

const label = (m: EchoMode) =>
  `HTTP ${m.status}, echoed in the message${m.into === 'code' ? ' and the code' : ''}`;

describe('moto: an error echoing the request carries no secret value (issue 11 item 6)', () => {
  const cases: Case[] = MODES.flatMap((mode): Case[] => [
    {
      label: `secret reissue, ${label(mode)}`,
      proxy: () => moto,
      dialect: (ref) =>
        // The reissue's write (a revoke's tombstone carries VersionStages and passes).
        secretsManagerDialect(
          (op, input) =>
            op === 'PutSecretValue' &&
            input.SecretId === parseRef(ref).locator &&
            input.VersionStages === undefined,
        ),
      seed: awsSecret,
      runbook: 'aws-secret-recovery',
      generator: { type: 'password', length: 40, symbols: false },
      mode,
    },
    {
      label: `iam-key delivery, ${label(mode)}`,
      proxy: () => moto,
      dialect: (ref) => {
        const delivery = `${DELIVERY_PREFIX}${parseRef(ref).locator.split('/')[0]}`;
        return secretsManagerDialect(
          (op, input) =>
            (op === 'PutSecretValue' && input.SecretId === delivery) ||
            (op === 'CreateSecret' && input.Name === delivery),
        );
      },
      seed: iamKey,
      runbook: 'aws-iam-key-recovery',
      generator: { type: 'provider' },
      mode,
    },
  ]);

  it.each(cases)(
    '$label',
    async (c) => {
      await direct(c);
      await throughCli(c);
    },
    120_000,
  );
});

describe('Key Vault: an error echoing the request carries no secret value (issue 11 item 6)', () => {
  const cases: Case[] = MODES.map((mode) => ({
    label: `secret reissue, ${label(mode)}`,
    proxy: () => keyvault,
    dialect: (ref) => keyVaultDialect(parseRef(ref).locator),
    seed: azureSecret,
    runbook: 'azure-secret-recovery',
    generator: { type: 'password', length: 40, symbols: false },
    mode,
  }));

  it.each(cases)(
    '$label',
    async (c) => {
      await direct(c);
      await throughCli(c);
    },
    120_000,
  );
});
