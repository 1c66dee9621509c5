/**
 * `nhi scan` against the real local servers through the real adapters and the real scan pipeline,
 * for the findings a fresh seed cannot show without help:
 *
 * - Azure (the Key Vault fake, or a Lowkey Vault jar): this suite's secrets are moved 200 days into the
 *   past with Lowkey Vault's time-shift endpoint (`PUT /management/vault/time/all?seconds=N`), limited to
 *   this suite's name prefix with the fake's `namePrefix` extension, so suites sharing the server are not
 *   aged. Then: dormant (age-based, Key Vault has no last-use signal), long-lived, expired-enabled,
 *   orphaned, and re-enabled three ways (a version seen disabled then enabled; a secret seen soft-deleted
 *   then recovered; a disable+enable entirely between two scans, which only provider evidence shows).
 *   With a Lowkey jar, `namePrefix` is ignored and the whole vault moves: run this file alone then.
 * - Vault (OpenBao): an entity seen disabled then enabled (re-enabled), KV secrets with and without owner
 *   metadata (orphaned), a KV secret seen soft-deleted then undeleted (re-enabled). OpenBao has no time shift.
 * - AWS (moto): IAM key last use is real (`GetAccessKeyLastUsed`), but moto's clock cannot be moved, so
 *   dormancy is shown by running the scan module with its clock 200 days ahead (the server's data is
 *   untouched); at the real time the same keys are not dormant.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { runCli } from '../../src/cli/program.js';
import { runScanJob } from '../../src/scan/service.js';
import type { FindingRecord } from '../../src/store/types.js';
import { localConfig, ROOT, scratchDir } from '../runbook/local-app.js';
import {
  AZURE_KEYVAULT_FAKE_URL,
  AZURE_KEYVAULT_TIME_SHIFT_URL,
  AZURE_KEYVAULT_URL,
  MOTO_ENDPOINT,
  MOTO_REGION,
  OPENBAO_ADDR,
  OPENBAO_ROOT_TOKEN,
} from '../servers/endpoints.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const DAY = 86_400;
const SHIFT_DAYS = 200;
const run = randomUUID().slice(0, 8);
/** Thresholds under the shift (200 d) and far above a fresh seed's age (0 d). */
const SCAN = {
  standard: { dormantDays: 30, maxAgeDays: 180 },
  privileged: { dormantDays: 30, maxAgeDays: 90 },
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Finding {
  type: string;
  ref: string;
  severity: string;
  summary: string;
  evidence: Record<string, unknown>;
}

function cli(configPath: string, args: string[]) {
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
  return runCli(['--config', configPath, ...args], io).then((code) => ({ code, stdout, stderr }));
}

/** A config from test/servers/local.config.json with this suite's thresholds; `patch` edits the provider blocks. */
function suiteConfig(
  dir: string,
  name: string,
  instance: string,
  patch: (p: Record<string, unknown>) => void,
): string {
  const path = localConfig(dir, name, { [instance]: instance }, { scan: SCAN });
  const cfg = JSON.parse(readFileSync(path, 'utf8'));
  patch(cfg.providers[instance]);
  writeFileSync(path, JSON.stringify(cfg));
  return path;
}

/** `nhi scan --format json --out`: the report, and this suite's findings in it as "type ref" pairs. */
async function scan(configPath: string, out: string, mine: (ref: string) => boolean) {
  const r = await cli(configPath, ['scan', '--format', 'json', '--out', out]);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  expect(report.scan.errors, r.stderr).toEqual([]);
  expect(r.code, r.stderr).toBe(0);
  const findings = (report.findings as Finding[]).filter((f) => mine(f.ref));
  const pairs = findings.map((f) => `${f.type} ${f.ref}`).sort();
  const one = (type: string, ref: string) => {
    const f = findings.find((x) => x.type === type && x.ref === ref);
    expect(f, `${type} ${ref} in ${JSON.stringify(pairs)}`).toBeDefined();
    return f as Finding;
  };
  return { report, findings, pairs, one };
}

// ---------------------------------------------------------------------------------------------
// Azure Key Vault

const credential: TokenCredential = {
  getToken: async () => ({ token: 'any-bearer-token', expiresOnTimestamp: Date.now() + 3600e3 }),
};
const kv = new SecretClient(AZURE_KEYVAULT_URL, credential, {
  disableChallengeResourceVerification: true,
  serviceVersion: '7.4',
});
const poll = { intervalInMs: 50 };
const azPrefix = `nhi-rs-${run}-`;
const az = (what: string) => `${azPrefix}${what}`;
/** Not under the suite's prefix: must not move. */
const azControl = `nhi-rsx-${run}-control`;

/** Lowkey Vault's time shift (same URL on the fake); namePrefix is the fake's extension. */
async function shiftKeyVault(seconds: number, namePrefix: string): Promise<void> {
  const url = `${AZURE_KEYVAULT_TIME_SHIFT_URL}?seconds=${seconds}&namePrefix=${encodeURIComponent(namePrefix)}`;
  const r = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = await r.text();
  let hint = '';
  if (r.status !== 204) {
    // A fake started from an older checkout has no time shift (its /_fake/info lists no management API).
    const info = await fetch(`${AZURE_KEYVAULT_FAKE_URL}/info`).catch(() => undefined);
    if (info?.ok && !Array.isArray(((await info.json()) as { management?: unknown }).management))
      hint =
        ' (the running Key Vault fake predates the time shift; restart it: bash test/servers/servers.sh down keyvault && bash test/servers/servers.sh up keyvault)';
  }
  expect(r.status, `PUT ${url} -> ${r.status} ${body}${hint}`).toBe(204);
}

/** Hostile list modes of the fake are global (test/servers/keyvault.test.ts flips them for a moment). */
async function hostileOff(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`${AZURE_KEYVAULT_FAKE_URL}/hostile`).catch(() => undefined);
    if (r?.status !== 200) return; // Lowkey: no such modes
    const modes = (await r.json()) as Record<string, unknown>;
    if (!Object.values(modes).some((v) => v !== null && v !== false)) return;
    await sleep(100);
  }
}

async function removeAzure(name: string): Promise<void> {
  try {
    await (await kv.beginDeleteSecret(name, poll)).pollUntilDone();
  } catch {
    // already deleted or never made
  }
  await kv.purgeDeletedSecret(name).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------
// OpenBao

const mount = `nhi-rs-${run}`;
const entityName = `nhi-rs-${run}-svc`;

async function bao(
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${OPENBAO_ADDR}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': OPENBAO_ROOT_TOKEN, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`OpenBao ${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : undefined;
}

async function retry<T>(fn: () => Promise<T>, tries = 40): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= tries) throw error;
      await sleep(250); // a fresh KV v2 mount answers 400 "upgrading" for a moment
    }
  }
}

// ---------------------------------------------------------------------------------------------
// AWS (moto)

const iamPath = `/nhi-rs-${run}/`;
const awsCreds = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: readFileSync(join(ROOT, 'test/servers/moto-secret-key'), 'utf8').trim(),
};
const iam = new IAMClient({
  region: MOTO_REGION,
  endpoint: MOTO_ENDPOINT,
  credentials: awsCreds,
  maxAttempts: 1,
});
const awsKeys: { user: string; id: string }[] = [];

afterAll(async () => {
  await Promise.all(
    [...['aged', 'expired', 'fresh', 'untagged', 'flip', 'quiet', 'undeleted'].map(az), azControl].map(
      removeAzure,
    ),
  );
  await bao('DELETE', `sys/mounts/${mount}`).catch(() => undefined);
  await bao('DELETE', `identity/entity/name/${entityName}`).catch(() => undefined);
  for (const k of awsKeys) {
    await iam
      .send(new DeleteAccessKeyCommand({ UserName: k.user, AccessKeyId: k.id }))
      .catch(() => undefined);
    await iam.send(new DeleteUserCommand({ UserName: k.user })).catch(() => undefined);
  }
  iam.destroy();
});

describe('nhi scan against the real local servers (age-based and state-change findings)', () => {
  it("Azure: after a 200-day time shift of this suite's secrets, dormant, long-lived, expired-enabled, orphaned and re-enabled", async () => {
    const { dir } = scratchDir('nhi-real-servers-az-');
    const config = suiteConfig(dir, 'azure', 'azure-local', () => undefined);
    const now = () => Math.floor(Date.now() / 1000);
    const owner = (o: string) => ({ tags: { owner: o } });

    // Secrets that will be 200 days old.
    const t0 = now();
    await kv.setSecret(az('aged'), 'v', { ...owner('alice'), notBefore: new Date((t0 - 3600) * 1000) });
    await kv.setSecret(az('expired'), 'v', { ...owner('alice'), expiresOn: new Date((t0 - DAY) * 1000) });
    const flipVersion = (await kv.setSecret(az('flip'), 'v', owner('bob'))).properties.version as string;
    const quietVersion = (await kv.setSecret(az('quiet'), 'v', owner('bob'))).properties.version as string;
    await kv.setSecret(az('undeleted'), 'v', owner('bob'));
    await kv.setSecret(azControl, 'v', owner('alice'));

    await shiftKeyVault(SHIFT_DAYS * DAY, azPrefix);
    const aged = (await kv.getSecret(az('aged'))).properties;
    const shiftedCreated = (aged.createdOn as Date).getTime() / 1000;
    expect(shiftedCreated).toBeGreaterThanOrEqual(t0 - SHIFT_DAYS * DAY - 5);
    expect(shiftedCreated).toBeLessThanOrEqual(t0 - SHIFT_DAYS * DAY + 5);
    expect((aged.updatedOn as Date).getTime()).toBe((aged.createdOn as Date).getTime());
    expect((aged.notBefore as Date).getTime() / 1000).toBe(t0 - 3600 - SHIFT_DAYS * DAY);
    const expiredOn = (await kv.getSecret(az('expired'))).properties.expiresOn as Date;
    expect(expiredOn.getTime() / 1000).toBe(t0 - DAY - SHIFT_DAYS * DAY);
    // The fake's namePrefix filter: a secret outside the prefix keeps its time.
    const control = (await kv.getSecret(azControl)).properties.createdOn as Date;
    expect(control.getTime() / 1000).toBeGreaterThanOrEqual(t0 - 5);

    // Made after the shift: fresh (no age findings), untagged (orphaned only).
    await kv.setSecret(az('fresh'), 'v', owner('alice'));
    await kv.setSecret(az('untagged'), 'v');
    // Switched off before scan #1. Deleting after the shift: a 200-day shift of a soft-deleted
    // secret passes its 90-day scheduledPurgeDate, and Lowkey (and the fake) purge it.
    await kv.updateSecretProperties(az('flip'), flipVersion, { enabled: false });
    await (await kv.beginDeleteSecret(az('undeleted'), poll)).pollUntilDone();

    const mine = (ref: string) => ref.startsWith(`azure-local:secret:${azPrefix}`);
    const ref = (what: string) => `azure-local:secret:${az(what)}`;
    await hostileOff();
    const s1 = await scan(config, join(dir, 'r1.json'), mine);
    expect(s1.pairs).toEqual(
      [
        `dormant ${ref('aged')}`,
        `long-lived ${ref('aged')}`,
        `dormant ${ref('expired')}`,
        `long-lived ${ref('expired')}`,
        `expired-enabled ${ref('expired')}`,
        `dormant ${ref('quiet')}`,
        `long-lived ${ref('quiet')}`,
        `orphaned ${ref('untagged')}`,
      ].sort(),
    );
    const dormant = s1.one('dormant', ref('aged'));
    expect(dormant.summary).toBe(
      `no last-use signal: age-based (created ${SHIFT_DAYS} days ago; limit 30 d)`,
    );
    expect(dormant.evidence).toMatchObject({
      basis: 'age (no last-use signal)',
      confidence: 'none',
      ageDays: SHIFT_DAYS,
    });
    expect(dormant.severity).toBe('low');
    const longLived = s1.one('long-lived', ref('aged'));
    expect(longLived.summary).toBe(`not rotated for ${SHIFT_DAYS} days (lastRotatedAt; limit 180 d)`);
    expect(longLived.evidence).toMatchObject({ ageDays: SHIFT_DAYS, thresholdDays: 180 });
    const expired = s1.one('expired-enabled', ref('expired'));
    expect(expired.evidence).toMatchObject({ expiredDaysAgo: SHIFT_DAYS + 1 });
    expect(expired.severity).toBe('medium');
    expect(s1.one('orphaned', ref('untagged')).evidence).toMatchObject({ reason: 'no-owner' });

    // Between the scans. updatedOn has one-second precision: wait so the quiet toggle is after scan #1.
    await sleep(1100);
    await kv.updateSecretProperties(az('flip'), flipVersion, { enabled: true });
    await kv.updateSecretProperties(az('quiet'), quietVersion, { enabled: false });
    await kv.updateSecretProperties(az('quiet'), quietVersion, { enabled: true });
    await (await kv.beginRecoverDeletedSecret(az('undeleted'), poll)).pollUntilDone();

    await hostileOff();
    const s2 = await scan(config, join(dir, 'r2.json'), mine);
    const reenabled = s2.findings.filter((f) => f.type === 'reenabled').map((f) => f.ref);
    expect(reenabled.sort()).toEqual([ref('flip'), ref('quiet'), ref('undeleted')].sort());
    expect(s2.one('reenabled', ref('flip'))).toMatchObject({
      severity: 'high',
      evidence: { source: 'snapshot', previousState: 'disabled' },
    });
    expect(s2.one('reenabled', ref('undeleted'))).toMatchObject({
      severity: 'high',
      evidence: { source: 'snapshot', previousState: 'deleted' },
    });
    // Never seen disabled: only the provider's weak evidence (updatedOn later than createdOn).
    expect(s2.one('reenabled', ref('quiet'))).toMatchObject({
      severity: 'medium',
      evidence: { source: 'provider' },
    });
    // Enabled again, so the age findings now apply to them too; nothing about the fresh secret.
    for (const what of ['flip', 'undeleted']) {
      s2.one('dormant', ref(what));
      s2.one('long-lived', ref(what));
    }
    expect(s2.pairs.filter((p) => p.endsWith(ref('fresh')))).toEqual([]);
  });

  it('Vault: an entity seen disabled then enabled is re-enabled; KV secrets without owner metadata are orphaned', async () => {
    const { dir } = scratchDir('nhi-real-servers-vault-');
    const config = suiteConfig(dir, 'vault', 'vault-local', (p) => {
      p.kinds = ['kv', 'entity'];
      p.kv = { mounts: [mount] };
    });
    await bao('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '2' } });
    await retry(() => bao('POST', `${mount}/data/app/owned`, { data: { password: 'v' } }));
    await bao('POST', `${mount}/metadata/app/owned`, { custom_metadata: { owner: 'alice' } });
    await bao('POST', `${mount}/data/app/ownerless`, { data: { password: 'v' } });
    await bao('POST', `${mount}/data/app/unregistered`, { data: { password: 'v' } });
    await bao('POST', `${mount}/metadata/app/unregistered`, { custom_metadata: { owner: 'vendor-x' } });
    await bao('POST', `${mount}/data/app/undeleted`, { data: { password: 'v' } });
    await bao('POST', `${mount}/metadata/app/undeleted`, { custom_metadata: { owner: 'bob' } });
    await bao('DELETE', `${mount}/data/app/undeleted`); // soft delete of the latest version
    const entity = await bao('POST', 'identity/entity', {
      name: entityName,
      metadata: { owner: 'bob' },
      policies: ['default'],
      disabled: true,
    });
    const entityId = (entity?.data as { id?: string } | undefined)?.id;
    expect(entityId).toBeTruthy();
    const entityRef = `vault-local:entity:${entityId}`;
    const kvRef = (p: string) => `vault-local:kv:${mount}/app/${p}`;
    const mine = (ref: string) => ref === entityRef || ref.startsWith(`vault-local:kv:${mount}/`);

    const s1 = await scan(config, join(dir, 'r1.json'), mine);
    expect(s1.pairs).toEqual([`orphaned ${kvRef('ownerless')}`, `orphaned ${kvRef('unregistered')}`]);
    expect(s1.one('orphaned', kvRef('ownerless')).evidence).toMatchObject({ reason: 'no-owner' });
    expect(s1.one('orphaned', kvRef('unregistered')).evidence).toMatchObject({
      reason: 'unknown-owner',
      unknown: ['vendor-x'],
    });

    await bao('POST', `identity/entity/name/${entityName}`, { disabled: false });
    await bao('POST', `${mount}/undelete/app/undeleted`, { versions: [1] });
    const s2 = await scan(config, join(dir, 'r2.json'), mine);
    expect(s2.pairs).toEqual(
      [
        `orphaned ${kvRef('ownerless')}`,
        `orphaned ${kvRef('unregistered')}`,
        `reenabled ${entityRef}`,
        `reenabled ${kvRef('undeleted')}`,
      ].sort(),
    );
    expect(s2.one('reenabled', entityRef)).toMatchObject({
      severity: 'high',
      evidence: { source: 'snapshot', previousState: 'disabled' },
    });
    expect(s2.one('reenabled', kvRef('undeleted')).evidence).toMatchObject({ previousState: 'deleted' });
  });

  it('AWS: IAM keys are not dormant at the real time; with the scan clock 200 days ahead, never-used and last-used keys are', async () => {
    const { dir } = scratchDir('nhi-real-servers-aws-');
    const config = suiteConfig(dir, 'aws', 'aws-local', (p) => {
      p.kinds = ['iam-key'];
      p.iam = { pathPrefix: iamPath };
    });
    const key = async (user: string) => {
      await iam.send(
        new CreateUserCommand({ UserName: user, Path: iamPath, Tags: [{ Key: 'owner', Value: 'alice' }] }),
      );
      const k = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey;
      awsKeys.push({ user, id: k?.AccessKeyId as string });
      return k as { AccessKeyId: string; SecretAccessKey: string };
    };
    const idle = `nhi-rs-${run}-idle`;
    const busy = `nhi-rs-${run}-busy`;
    const idleKey = await key(idle);
    const busyKey = await key(busy);
    // One request signed with the busy key: moto records it as the key's last use.
    const asBusy = new SecretsManagerClient({
      region: MOTO_REGION,
      endpoint: MOTO_ENDPOINT,
      credentials: { accessKeyId: busyKey.AccessKeyId, secretAccessKey: busyKey.SecretAccessKey },
      maxAttempts: 1,
    });
    await asBusy.send(new ListSecretsCommand({ MaxResults: 1 }));
    asBusy.destroy();
    const idleRef = `aws-local:iam-key:${idle}/${idleKey.AccessKeyId}`;
    const busyRef = `aws-local:iam-key:${busy}/${busyKey.AccessKeyId}`;

    const scanAt = async (offsetDays: number) => {
      const app = await createApp({
        configPath: config,
        env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
        now: () => new Date(Date.now() + offsetDays * DAY * 1000),
      });
      try {
        const job = await runScanJob(app, { providers: [], actor: 'test' });
        expect(job.result.errors).toEqual([]);
        const out: FindingRecord[] = [];
        for await (const f of app.store.findings.iterate({ status: 'open' }))
          if (f.ref === idleRef || f.ref === busyRef) out.push(f);
        return out;
      } finally {
        await app.close();
      }
    };

    expect(await scanAt(0)).toEqual([]);
    const later = await scanAt(SHIFT_DAYS);
    const get = (type: string, ref: string) => later.find((f) => f.type === type && f.ref === ref);
    expect(later.map((f) => `${f.type} ${f.ref}`).sort()).toEqual(
      [`dormant ${busyRef}`, `dormant ${idleRef}`, `long-lived ${busyRef}`, `long-lived ${idleRef}`].sort(),
    );
    expect(get('dormant', idleRef)?.summary).toBe(
      `never used per GetAccessKeyLastUsed (confidence exact), created ${SHIFT_DAYS} days ago; limit 30 d`,
    );
    expect(get('dormant', busyRef)?.evidence).toMatchObject({
      basis: 'last-use',
      signal: 'GetAccessKeyLastUsed',
      daysSinceUse: SHIFT_DAYS,
    });
  });
});
