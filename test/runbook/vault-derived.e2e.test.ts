/**
 * Issue 11 items 2, 3 (Vault) and 7 (AppRole dormancy), against the local OpenBao through the
 * real CLI and app: every secret KV field is regenerated and none reaches metadata (checked
 * while the run is killed between revoke and reissue); a field nhi cannot generate makes the
 * plan refuse; tokens logged in with a recovered secret-id stop working; never-used secret-ids
 * age into dormancy.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { Plan } from '../../src/runbook/plan-types.js';
import { resumeRun, startRun } from '../../src/runbook/runs.js';
import { runScanJob } from '../../src/scan/service.js';
import type { LineageRecord } from '../../src/store/types.js';
import { vaultApi } from '../providers/vault.fixture.js';
import { approvedRequest, CLI, localConfig, ROOT, scratchDir } from './local-app.js';

const suffix = randomUUID().slice(0, 8);
const data = <T>(r: { body: Record<string, unknown> }) => r.body.data as T;
// Canaries: none of these may appear in metadata, output or the store.
const PASSWORD = `canary-pw-${suffix}-0123456789`;
const KEY_BODY = `canarykey${suffix}AAAAB3NzaC1yc2E`;
const PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;
const DB_PASSWORD = `canary-db-${suffix}`;
const DB_URL = `postgres://svc:${DB_PASSWORD}@db.internal:5432/app`;
const CANARIES = [PASSWORD, KEY_BODY, DB_PASSWORD];

/** The 4-field secret of the issue, recoverable: username named non-secret, generators for the rest. */
const FIELDS_RUNBOOK = {
  id: 'vault-kv-fields-recovery',
  description: 'KV recovery naming its non-secret fields and per-field generators',
  appliesTo: { provider: 'vault', kind: 'kv' },
  order: 'revoke-then-reissue',
  generator: { type: 'password', length: 40 },
  steps: [
    'snapshot',
    'approval',
    'hold',
    { type: 'revoke', params: { mode: 'destroy' } },
    {
      type: 'reissue',
      params: {
        nonSecretFields: ['username'],
        generators: { private_key: { type: 'base64', bytes: 48 }, db_url: { type: 'password', length: 32 } },
      },
    },
    'verify',
    'review-activity',
    'notify',
  ],
};

let scratch: ReturnType<typeof scratchDir>;
let aliceKey: string;
let configPath: string;

beforeAll(async () => {
  await vaultApi('POST', 'sys/auth/approle', { type: 'approle' });
  scratch = scratchDir('nhi-vault-derived-');
  aliceKey = scratch.key('alice');
  const dir = join(scratch.dir, 'runbooks');
  mkdirSync(dir);
  writeFileSync(join(dir, 'vault-kv-fields-recovery.json'), JSON.stringify(FIELDS_RUNBOOK));
  configPath = localConfig(
    scratch.dir,
    'derived',
    { 'vault-local': 'vault-local' },
    {
      runbooks: { dirs: [dir] },
      scan: {
        standard: { dormantDays: 30, maxAgeDays: 180 },
        privileged: { dormantDays: 30, maxAgeDays: 90 },
      },
    },
  );
});

const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, '--config', configPath, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });

async function seedKv(name: string): Promise<{ path: string; ref: string }> {
  const path = `nhi-derived-${suffix}/${name}`;
  await vaultApi('POST', `secret/data/${path}`, {
    data: { username: 'svc', password: PASSWORD, private_key: PRIVATE_KEY, db_url: DB_URL },
  });
  await vaultApi('POST', `secret/metadata/${path}`, { custom_metadata: { owner: 'alice' } });
  return { path, ref: `vault-local:kv:secret/${path}` };
}

const metadataText = async (path: string) =>
  JSON.stringify(data<{ custom_metadata: unknown }>(await vaultApi('GET', `secret/metadata/${path}`)));

describe('vault kv: every secret field is regenerated, none is written to metadata', () => {
  it('the shipped runbook refuses to plan fields it cannot generate, naming them and the fix', async () => {
    const { ref } = await seedKv('refused');
    const out = cli(['plan', ref, '--runbook', 'vault-kv-recovery']);
    expect(out.status, out.stderr).toBe(3);
    expect(out.stderr).toMatch(/db_url cannot be regenerated: it holds a URL with embedded credentials/);
    expect(out.stderr).toMatch(/private_key cannot be regenerated: it holds a private key/);
    expect(out.stderr).toMatch(/nonSecretFields.*generators.*hook/s);
    for (const c of CANARIES) expect(out.stdout + out.stderr).not.toContain(c);
  });

  it('a field named non-secret that holds credentials is refused too', async () => {
    const { ref } = await seedKv('mislabelled');
    const dir = join(scratch.dir, 'runbooks');
    const bad = structuredClone(FIELDS_RUNBOOK);
    bad.id = 'vault-kv-mislabelled';
    (bad.steps[4] as { params: Record<string, unknown> }).params = {
      nonSecretFields: ['username', 'db_url'],
    };
    writeFileSync(join(dir, 'vault-kv-mislabelled.json'), JSON.stringify(bad));
    const out = cli(['plan', ref, '--runbook', 'vault-kv-mislabelled']);
    expect(out.status, out.stderr).toBe(3);
    expect(out.stderr).toMatch(/db_url is named non-secret but holds a URL with embedded credentials/);
  });

  it('kill -9 between revoke and reissue: metadata holds no secret; resume regenerates every secret field', async () => {
    const { path, ref } = await seedKv('recovered');
    let app = await createApp({ configPath });
    const requestId = await approvedRequest(app, ref, FIELDS_RUNBOOK.id, { alice: aliceKey });
    const plan = (await app.store.requests.get(requestId))?.plan as unknown as Plan;
    expect(plan.create.fields).toEqual({
      regenerate: [
        { name: 'db_url', generator: { type: 'password', length: 32, symbols: false } },
        { name: 'password', generator: { type: 'password', length: 40, symbols: false } },
        { name: 'private_key', generator: { type: 'base64', bytes: 48 } },
      ],
      keep: ['username'],
    });
    expect(plan.derived).toEqual([
      expect.objectContaining({ kind: 'consumer-copies', action: 'out-of-reach' }),
    ]);
    await app.close();

    const child = cli(['run', requestId, '--as', 'carol'], { NHI_FAILPOINT: 'reissue:before-intent' });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const between = await metadataText(path);
    expect(between).toContain('nhi-issue-carry');
    for (const c of CANARIES) expect(between).not.toContain(c);
    expect(JSON.parse(JSON.parse(between).custom_metadata['nhi-issue-carry'])).toEqual({
      v: 1,
      f: ['db_url', 'password', 'private_key'],
      d: { username: 'svc' },
    });

    app = await createApp({ configPath });
    try {
      const run = (await app.store.runs.forRequest(requestId))[0];
      const finished = await resumeRun(app.engine(), run?.id ?? '', 'carol');
      expect(finished.status, finished.error).toBe('completed');
    } finally {
      await app.close();
    }
    const v2 = data<{ data: Record<string, string> }>(await vaultApi('GET', `secret/data/${path}`)).data;
    expect(Object.keys(v2).sort()).toEqual(['db_url', 'password', 'private_key', 'username']);
    expect(v2.username).toBe('svc');
    expect(v2.password).not.toBe(PASSWORD);
    expect(v2.password).toHaveLength(40);
    expect(v2.private_key).not.toContain(KEY_BODY);
    expect(v2.db_url).not.toContain(DB_PASSWORD);
    const after = await metadataText(path);
    expect(after).not.toContain('nhi-issue-carry');
    for (const c of CANARIES) expect(after).not.toContain(c);
  });
});

describe('vault approle: tokens minted from a recovered secret-id stop working', () => {
  const role = `nhi-derived-${suffix}`;
  let roleId: string;

  const login = async (secretId: string) => {
    const res = await fetch('http://127.0.0.1:8200/v1/auth/approle/login', {
      method: 'POST',
      body: JSON.stringify({ role_id: roleId, secret_id: secretId }),
    });
    return ((await res.json()) as { auth: { accessor: string } }).auth.accessor;
  };
  const alive = async (accessor: string) =>
    (await vaultApi('POST', 'auth/token/lookup-accessor', { accessor })).status === 200;

  async function recover(): Promise<{ plan: Plan; delivery: string; lineage: LineageRecord }> {
    const app = await createApp({ configPath });
    try {
      const ref = `vault-local:approle:${role}`;
      const requestId = await approvedRequest(app, ref, 'vault-approle-recovery', { alice: aliceKey });
      const plan = (await app.store.requests.get(requestId))?.plan as unknown as Plan;
      const run = await startRun(app.engine(), { requestId, executor: 'carol' });
      expect(run.status, run.error).toBe('completed');
      const lineage = (await app.store.lineage.forRef(ref)).at(-1) as LineageRecord;
      // What the sweep revoked is in the audit log too, in the lineage entry the run recorded.
      const recorded: unknown[] = [];
      for await (const e of app.store.audit.entries())
        if (e.type === 'lineage.recorded' && e.subject === ref) recorded.push(e.data);
      expect(recorded.at(-1)).toMatchObject({ oldVersions: lineage.oldVersions });
      return { plan, delivery: lineage.newVersion?.delivery?.location as string, lineage };
    } finally {
      await app.close();
    }
  }

  it('revokes the login tokens of a foreign secret-id, then those of the one nhi issued', async () => {
    await vaultApi('POST', `auth/approle/role/${role}`, { token_policies: ['default'] });
    roleId = data<{ role_id: string }>(await vaultApi('GET', `auth/approle/role/${role}/role-id`)).role_id;
    const foreign = data<{ secret_id: string }>(
      await vaultApi('POST', `auth/approle/role/${role}/secret-id`, {
        metadata: JSON.stringify({ owner: 'alice' }),
      }),
    ).secret_id;
    const stolen = await login(foreign);
    // A token of another role must survive.
    const other = `${role}-other`;
    await vaultApi('POST', `auth/approle/role/${other}`, { token_policies: ['default'] });
    const otherRoleId = data<{ role_id: string }>(
      await vaultApi('GET', `auth/approle/role/${other}/role-id`),
    ).role_id;
    const otherSecret = data<{ secret_id: string }>(
      await vaultApi('POST', `auth/approle/role/${other}/secret-id`, {}),
    ).secret_id;
    const bystander = (
      (await (
        await fetch('http://127.0.0.1:8200/v1/auth/approle/login', {
          method: 'POST',
          body: JSON.stringify({ role_id: otherRoleId, secret_id: otherSecret }),
        })
      ).json()) as { auth: { accessor: string } }
    ).auth.accessor;
    expect(await alive(stolen)).toBe(true);
    const foreignAccessor = data<{ keys: string[] }>(
      await vaultApi('LIST', `auth/approle/role/${role}/secret-id`),
    ).keys[0] as string;

    const first = await recover();
    expect(first.plan.derived).toContainEqual(
      expect.objectContaining({ kind: 'approle-login-tokens', action: 'revoke' }),
    );
    expect(await alive(stolen)).toBe(false);
    expect(await alive(bystander)).toBe(true);
    // Lineage says what the sweep revoked: a count per secret-id and the role, no token accessor.
    const [old] = first.lineage.oldVersions;
    expect(old?.versionId).toBe(foreignAccessor);
    expect(old?.derived).toEqual([
      {
        kind: 'vault-login-tokens',
        name: `auth/approle/role/${role}`,
        before: old?.revokedAt,
        detail: expect.stringMatching(
          new RegExp(
            `^revoked 1 login token\\(s\\) minted from secret-id ${foreignAccessor} \\(matched by creation time: tokens of role ${role} created since `,
          ),
        ),
      },
    ]);
    expect(JSON.stringify(first.lineage)).not.toContain(stolen);

    // The delivered secret-id (nhi-issued: its metadata carries nhi_idempotency_key) logs in...
    const [mount, ...rest] = first.delivery.split('/');
    const wrapping = data<{ data: { wrapping_token: string } }>(
      await vaultApi('GET', `${mount}/data/${rest.join('/')}`),
    ).data.wrapping_token;
    const unwrapped = await fetch('http://127.0.0.1:8200/v1/sys/wrapping/unwrap', {
      method: 'POST',
      headers: { 'X-Vault-Token': wrapping },
    });
    const issuedSecret = ((await unwrapped.json()) as { data: { secret_id: string } }).data.secret_id;
    const minted = await login(issuedSecret);
    expect(await alive(minted)).toBe(true);
    // ...and its token dies with it at the next recovery.
    const second = await recover();
    expect(await alive(minted)).toBe(false);
    expect(await alive(bystander)).toBe(true);
    const issuedAccessor = second.lineage.oldVersions[0]?.versionId as string;
    expect(second.lineage.oldVersions[0]?.derived).toEqual([
      expect.objectContaining({
        kind: 'vault-login-tokens',
        detail: `revoked 1 login token(s) minted from secret-id ${issuedAccessor}`,
      }),
    ]);
  });
});

describe('vault approle: a login-token sweep the policy refuses (HTTP 403)', () => {
  const role = `nhi-sweep403-${suffix}`;
  const policyText = (name: string) => readFileSync(join(ROOT, 'docs/examples', name), 'utf8');
  const withoutAccessorListing = (hcl: string) =>
    hcl
      .split('\n')
      .filter((l) => !l.startsWith('path "auth/token/accessors'))
      .join('\n');

  it('fails the revoke naming the missing capability; resumed once the documented policy is in place, it sweeps and lineage records it', async () => {
    // nhi runs with the documented policies (docs/examples), first without sudo on auth/token/accessors.
    const scan = `nhi-scan-${suffix}`;
    const recovery = `nhi-recovery-${suffix}`;
    const scanPolicy = policyText('vault-scan.hcl');
    expect(scanPolicy).toContain('path "auth/token/accessors" { capabilities = ["list", "sudo"] }');
    await vaultApi('PUT', `sys/policies/acl/${scan}`, { policy: withoutAccessorListing(scanPolicy) });
    await vaultApi('PUT', `sys/policies/acl/${recovery}`, { policy: policyText('vault-recovery.hcl') });
    const token = (
      (await vaultApi('POST', 'auth/token/create', { policies: [scan, recovery], ttl: '1h' })).body.auth as {
        client_token: string;
      }
    ).client_token;
    const tokenFile = join(scratch.dir, 'nhi-vault-token');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const logFile = join(scratch.dir, 'sweep403.log');
    const cfgPath = localConfig(scratch.dir, 'sweep403', { 'vault-local': 'vault-local' });
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.providers['vault-local'].auth = { method: 'token', token: `file:${tokenFile}` };
    cfg.providers['vault-local'].kinds = ['approle'];
    cfg.log = { level: 'info', file: logFile };
    writeFileSync(cfgPath, JSON.stringify(cfg));

    await vaultApi('POST', `auth/approle/role/${role}`, { token_policies: ['default'] });
    const roleId = data<{ role_id: string }>(
      await vaultApi('GET', `auth/approle/role/${role}/role-id`),
    ).role_id;
    const secretId = data<{ secret_id: string; secret_id_accessor: string }>(
      await vaultApi('POST', `auth/approle/role/${role}/secret-id`, {
        metadata: JSON.stringify({ owner: 'alice' }),
      }),
    );
    const loggedIn = await fetch('http://127.0.0.1:8200/v1/auth/approle/login', {
      method: 'POST',
      body: JSON.stringify({ role_id: roleId, secret_id: secretId.secret_id }),
    });
    const stolen = ((await loggedIn.json()) as { auth: { accessor: string; client_token: string } }).auth;
    const works = async () =>
      (
        await fetch('http://127.0.0.1:8200/v1/auth/token/lookup-self', {
          headers: { 'X-Vault-Token': stolen.client_token },
        })
      ).status === 200;
    expect(await works()).toBe(true);

    const ref = `vault-local:approle:${role}`;
    const app = await createApp({ configPath: cfgPath });
    try {
      const requestId = await approvedRequest(app, ref, 'vault-approle-recovery', { alice: aliceKey });
      const run = await startRun(app.engine(), { requestId, executor: 'carol' });
      // Fail closed: the owners signed that these tokens are revoked, and the stolen one still works.
      expect(run.status, run.error).toBe('needs-attention');
      expect(run.error).toContain(
        `step revoke failed: vault approle ${role}: secret-id(s) ${secretId.secret_id_accessor} destroyed, but the login tokens minted from them could not be reached: list token accessors was refused (HTTP 403; 0 token(s) revoked before that)`,
      );
      expect(run.error).toContain('"list" and "sudo" on auth/token/accessors');
      expect(run.error).toContain('resume the run');
      expect(await works()).toBe(true);
      // The secret-id itself is gone: no new login.
      expect((await vaultApi('LIST', `auth/approle/role/${role}/secret-id`)).status).toBe(404);
      const warning = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => String(l.msg).includes('could not be reached (permission denied)'));
      expect(warning).toMatchObject({
        level: 'warn',
        role,
        operation: 'list token accessors',
        derived: [
          {
            kind: 'vault-login-tokens',
            name: `auth/approle/role/${role}`,
            detail: `could not reach the login tokens minted from secret-id ${secretId.secret_id_accessor}: list token accessors was refused (HTTP 403, permission)`,
          },
        ],
      });

      // The documented scan policy as it is: the resumed revoke sweeps from the delivery record.
      await vaultApi('PUT', `sys/policies/acl/${scan}`, { policy: scanPolicy });
      const finished = await resumeRun(app.engine(), run.id, 'carol');
      expect(finished.status, finished.error).toBe('completed');
      expect(await works()).toBe(false);
      expect(await alive403(stolen.accessor)).toBe(false);
      const [lineage] = await app.store.lineage.forRef(ref);
      expect(lineage?.oldVersions).toEqual([
        expect.objectContaining({
          versionId: secretId.secret_id_accessor,
          derived: [
            expect.objectContaining({
              kind: 'vault-login-tokens',
              detail: expect.stringMatching(
                new RegExp(
                  `^revoked 1 login token\\(s\\) minted from secret-id ${secretId.secret_id_accessor} `,
                ),
              ),
            }),
          ],
        }),
      ]);
    } finally {
      await app.close();
    }
  });

  const alive403 = async (accessor: string) =>
    (await vaultApi('POST', 'auth/token/lookup-accessor', { accessor })).status === 200;
});

describe('vault token: its child tokens go with it, and lineage says so', () => {
  it('a child the old token created fails lookup after recovery; the lineage record carries vault-child-tokens', async () => {
    // The old token may create children (the default policy does not allow it).
    const maker = `nhi-child-maker-${suffix}`;
    await vaultApi('PUT', `sys/policies/acl/${maker}`, {
      policy: 'path "auth/token/create" { capabilities = ["create", "update"] }',
    });
    const parent = (
      await vaultApi('POST', 'auth/token/create-orphan', {
        policies: ['default', maker],
        meta: { owner: 'alice' },
        ttl: '2h',
      })
    ).body.auth as { accessor: string; client_token: string };
    const child = (
      await vaultApi(
        'POST',
        'auth/token/create',
        { policies: ['default'], ttl: '1h' },
        { 'X-Vault-Token': parent.client_token },
      )
    ).body.auth as { accessor: string };
    const alive = async (accessor: string) =>
      (await vaultApi('POST', 'auth/token/lookup-accessor', { accessor })).status === 200;
    expect(await alive(child.accessor)).toBe(true);

    const ref = `vault-local:token:${parent.accessor}`;
    const app = await createApp({ configPath });
    try {
      const requestId = await approvedRequest(app, ref, 'vault-token-recovery', { alice: aliceKey });
      const run = await startRun(app.engine(), { requestId, executor: 'carol' });
      expect(run.status, run.error).toBe('completed');
      const [lineage] = await app.store.lineage.forRef(ref);
      expect(lineage?.oldVersions).toEqual([
        expect.objectContaining({
          versionId: parent.accessor,
          derived: [
            {
              kind: 'vault-child-tokens',
              name: parent.accessor,
              before: lineage?.oldVersions[0]?.revokedAt,
              detail: 'revoke-accessor revoked the token and every non-orphan child token below it',
            },
          ],
        }),
      ]);
    } finally {
      await app.close();
    }
    expect(await alive(parent.accessor)).toBe(false);
    expect(await alive(child.accessor)).toBe(false);
  });
});

describe('vault approle dormancy', () => {
  it('a never-used secret-id is not dormant now, and is dormant (weak, never used) 200 days later', async () => {
    const role = `nhi-dormant-${suffix}`;
    await vaultApi('POST', `auth/approle/role/${role}`, { token_policies: ['default'] });
    await vaultApi('POST', `auth/approle/role/${role}/secret-id`, {
      metadata: JSON.stringify({ owner: 'alice' }),
    });
    const ref = `vault-local:approle:${role}`;
    // Scan AppRoles only: the shared OpenBao holds every other suite's secrets and tokens.
    const cfg = JSON.parse(readFileSync(configPath, 'utf8'));
    cfg.providers['vault-local'].kinds = ['approle'];
    cfg.state.path = join(scratch.dir, 'dormancy.db');
    const scanConfig = join(scratch.dir, 'dormancy.json');
    writeFileSync(scanConfig, JSON.stringify(cfg));
    const scanAt = async (offsetDays: number) => {
      const app = await createApp({
        configPath: scanConfig,
        now: () => new Date(Date.now() + offsetDays * 86_400_000),
      });
      try {
        await runScanJob(app, { providers: ['vault-local'], actor: 'test' });
        const out = [];
        for await (const f of app.store.findings.iterate({ status: 'open' })) if (f.ref === ref) out.push(f);
        return out;
      } finally {
        await app.close();
      }
    };
    expect((await scanAt(0)).filter((f) => f.type === 'dormant')).toEqual([]);
    const later = (await scanAt(200)).find((f) => f.type === 'dormant');
    expect(later?.summary).toBe(
      'never used per secret_id.last_updated_time (confidence weak), created 200 days ago; limit 30 d',
    );
    expect(later?.evidence).toMatchObject({ basis: 'never-used', confidence: 'weak', thresholdDays: 30 });
  }, 60_000);
});
