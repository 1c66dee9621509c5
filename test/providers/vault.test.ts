/**
 * Vault adapter behaviours beyond the shared contract, against the local OpenBao dev server
 * (AppRole, tokens, entities, KV lost responses) and through a fake VaultHttp (hostile data).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createNodeVaultHttp, type VaultHttp, VaultResponseError } from '../../providers/vault/client.js';
import { createVaultProvider } from '../../providers/vault/index.js';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { parseRef } from '../../src/lib/ref.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import type { CredentialProvider, IdentityRecord, ReissueContext } from '../../src/provider.js';
import { OPENBAO_ADDR } from '../servers/endpoints.js';
import { createTestVaultProvider, VAULT_INSTANCE, vaultApi, vaultTestConfig } from './vault.fixture.js';

const memory = createMemoryLogger();
const fingerprint = createFingerprinter(new SecretValue('vault-test-fingerprint-key'));
const suffix = randomUUID().slice(0, 8);
const deps = { logger: memory.logger, fingerprint };
const secrets: string[] = [];

const ctx = (runId: string, stepId = 'reissue', params: Record<string, unknown> = {}): ReissueContext => ({
  runId,
  stepId,
  idempotencyKey: `${runId}:${stepId}`,
  fingerprint,
  logger: memory.logger,
  params,
  generator: { type: 'provider' },
});
const ref = (kind: string, locator: string) => parseRef(`${VAULT_INSTANCE}:${kind}:${locator}`);
const data = <T>(r: { body: Record<string, unknown> }) => r.body.data as T;

async function deliveryOf(location: string): Promise<Record<string, string>> {
  const [mount, ...rest] = location.split('/');
  const res = await vaultApi('GET', `${mount}/data/${rest.join('/')}`);
  return data<{ data: Record<string, string> }>(res).data;
}

beforeAll(async () => {
  await vaultApi('POST', 'sys/auth/approle', { type: 'approle' });
  await vaultApi('POST', `sys/policy/nhi-sudo-${suffix}`, {
    policy: 'path "sys/mounts/*" { capabilities = ["read", "sudo"] }',
  });
});

describe('vault approle', () => {
  const role = `nhi-role-${suffix}`;
  let provider: CredentialProvider;
  let roleId: string;

  async function newSecretId(meta: Record<string, string>): Promise<string> {
    const res = await vaultApi('POST', `auth/approle/role/${role}/secret-id`, {
      metadata: JSON.stringify(meta),
    });
    const d = data<{ secret_id: string; secret_id_accessor: string }>(res);
    secrets.push(d.secret_id);
    return d.secret_id_accessor;
  }

  beforeAll(async () => {
    await vaultApi('POST', `auth/approle/role/${role}`, {
      token_policies: ['default', `nhi-sudo-${suffix}`],
    });
    roleId = data<{ role_id: string }>(await vaultApi('GET', `auth/approle/role/${role}/role-id`)).role_id;
    provider = createTestVaultProvider(deps, { kinds: ['approle'] });
  });

  it('lists a role with its secret-ids as versions, owners from secret-id metadata and a sudo hint', async () => {
    const a1 = await newSecretId({ owner: 'alice,bob' });
    const a2 = await newSecretId({ team: 'x' });
    const rec = await provider.describe(ref('approle', role));
    expect(rec.versions.map((v) => v.id).sort()).toEqual([a1, a2].sort());
    expect(rec.owners).toEqual(['alice', 'bob']);
    expect(rec.privilegeHints).toContain('policy:sudo');
    const single = await provider.describe(ref('approle', `${role}/${a2}`));
    expect(single.versions.map((v) => v.id)).toEqual([a2]);
    let seen: IdentityRecord | undefined;
    for await (const r of provider.inventory()) if (r.ref === `${VAULT_INSTANCE}:approle:${role}`) seen = r;
    expect(seen?.owners).toEqual(['alice', 'bob']);
  });

  it('revokes one secret-id accessor, then reports it already revoked', async () => {
    const keep = await newSecretId({ owner: 'carol' });
    const drop = await newSecretId({ owner: 'carol' });
    const step = ctx(`run-${randomUUID()}`, 'revoke');
    const first = await provider.revoke(ref('approle', role), [drop], step);
    expect(first.map((r) => r.status)).toEqual(['revoked']);
    const lookup = await vaultApi('POST', `auth/approle/role/${role}/secret-id-accessor/lookup`, {
      secret_id_accessor: drop,
    });
    expect(lookup.status).toBe(404);
    expect((await provider.revoke(ref('approle', role), [drop], step)).map((r) => r.status)).toEqual([
      'already-revoked',
    ]);
    const ids = (await provider.describe(ref('approle', role))).versions.map((v) => v.id);
    expect(ids).toContain(keep);
    expect(ids).not.toContain(drop);
  });

  it('reissues a wrapped secret-id that unwraps and logs in, exactly once per idempotency key', async () => {
    const runId = `run-${randomUUID()}`;
    const issued = await provider.reissue(ref('approle', role), ctx(runId));
    expect(issued.status).toBe('issued');
    expect(issued.delivery?.location).toBe(`secret/nhi-delivery/${role}/${runId}`);
    const again = await provider.reissue(ref('approle', role), ctx(runId));
    expect(again).toMatchObject({
      status: 'already-issued',
      versionId: issued.versionId,
      fingerprint: issued.fingerprint,
    });
    expect((await provider.findIssued(ref('approle', role), `${runId}:reissue`))?.versionId).toBe(
      issued.versionId,
    );
    expect(await provider.findIssued(ref('approle', role), `${runId}:other`)).toBeUndefined();
    expect((await provider.verify(ref('approle', role), issued)).ok).toBe(true);

    const delivered = await deliveryOf(issued.delivery?.location as string);
    secrets.push(delivered.wrapping_token as string);
    const unwrapped = await vaultApi('POST', 'sys/wrapping/unwrap', undefined, {
      'X-Vault-Token': delivered.wrapping_token as string,
    });
    const secretId = data<{ secret_id: string; secret_id_accessor: string }>(unwrapped);
    secrets.push(secretId.secret_id);
    expect(secretId.secret_id_accessor).toBe(issued.versionId);
    const login = await vaultApi('POST', 'auth/approle/login', {
      role_id: roleId,
      secret_id: secretId.secret_id,
    });
    expect(login.status).toBe(200);
    const verifyAfter = await provider.verify(ref('approle', role), issued);
    expect(verifyAfter).toMatchObject({ ok: false });
    expect(verifyAfter.detail).toMatch(/already unwrapped/);
    const meta = await vaultApi('POST', `auth/approle/role/${role}/secret-id-accessor/lookup`, {
      secret_id_accessor: issued.versionId,
    });
    expect(data<{ metadata: Record<string, string> }>(meta).metadata).toMatchObject({
      nhi_run_id: runId,
      nhi_idempotency_key: `${runId}:reissue`,
    });
  });

  it('after revoking every secret-id, the reissued one keeps the owner', async () => {
    const runId = `run-${randomUUID()}`;
    const all = (await provider.describe(ref('approle', role))).versions.map((v) => v.id);
    await provider.revoke(ref('approle', role), all, ctx(runId, 'revoke'));
    const issued = await provider.reissue(ref('approle', role), ctx(runId));
    const rec = await provider.describe(ref('approle', role));
    expect(rec.versions.map((v) => v.id)).toEqual([issued.versionId]);
    expect(rec.owners.length).toBeGreaterThan(0);
  });

  it('destroys a secret-id whose wrapped answer was lost before minting the delivered one', async () => {
    const runId = `run-${randomUUID()}`;
    const key = `${runId}:reissue`;
    // The state a crash leaves: delivery record pending, a secret-id minted, its wrapping token lost.
    await vaultApi('POST', `secret/data/nhi-delivery/${role}/${runId}`, {
      data: { nhi_state: 'pending', idempotency_key: key },
    });
    const lost = await vaultApi(
      'POST',
      `auth/approle/role/${role}/secret-id`,
      { metadata: JSON.stringify({ nhi_idempotency_key: key }) },
      { 'X-Vault-Wrap-TTL': '60s' },
    );
    const lostAccessor = (lost.body.wrap_info as { wrapped_accessor: string }).wrapped_accessor;
    expect(await provider.findIssued(ref('approle', role), key)).toBeUndefined();
    const issued = await provider.reissue(ref('approle', role), ctx(runId));
    expect(issued.versionId).not.toBe(lostAccessor);
    const ids = (await provider.describe(ref('approle', role))).versions.map((v) => v.id);
    expect(ids).toContain(issued.versionId);
    expect(ids).not.toContain(lostAccessor);
  });
});

describe('vault token', () => {
  let provider: CredentialProvider;

  async function newToken(body: Record<string, unknown>): Promise<string> {
    const res = await vaultApi('POST', 'auth/token/create-orphan', body);
    const auth = res.body.auth as { client_token: string; accessor: string };
    secrets.push(auth.client_token);
    return auth.accessor;
  }

  beforeAll(() => {
    provider = createTestVaultProvider(deps, { kinds: ['token'] });
  });

  it('marks root and sudo tokens privileged and reads owners from token meta', async () => {
    const root = await newToken({ policies: ['root'], meta: { owner: 'ops' }, ttl: '1h' });
    const sudo = await newToken({ policies: [`nhi-sudo-${suffix}`], ttl: '1h' });
    const plain = await newToken({ policies: ['default'], ttl: '1h' });
    const r = await provider.describe(ref('token', root));
    expect(r.privilegeHints).toContain('policy:root');
    expect(r.owners).toEqual(['ops']);
    expect((await provider.describe(ref('token', sudo))).privilegeHints).toEqual(['policy:sudo']);
    expect((await provider.describe(ref('token', plain))).privilegeHints).toBeUndefined();
  });

  it('revokes by accessor, then reissues a like-for-like wrapped token from the kept template', async () => {
    const old = await newToken({
      policies: [`nhi-sudo-${suffix}`],
      meta: { owner: 'dana' },
      ttl: '2h',
      display_name: 'ci',
    });
    const runId = `run-${randomUUID()}`;
    const revoked = await provider.revoke(ref('token', old), [old], ctx(runId, 'revoke'));
    expect(revoked.map((r) => r.status)).toEqual(['revoked']);
    expect((await vaultApi('POST', 'auth/token/lookup-accessor', { accessor: old })).status).toBe(400);
    expect(
      (await provider.revoke(ref('token', old), [old], ctx(runId, 'revoke'))).map((r) => r.status),
    ).toEqual(['already-revoked']);

    const issued = await provider.reissue(ref('token', old), ctx(runId));
    expect((await provider.reissue(ref('token', old), ctx(runId))).versionId).toBe(issued.versionId);
    expect((await provider.verify(ref('token', old), issued)).ok).toBe(true);
    const delivered = await deliveryOf(issued.delivery?.location as string);
    const unwrapped = await vaultApi('POST', 'sys/wrapping/unwrap', undefined, {
      'X-Vault-Token': delivered.wrapping_token as string,
    });
    const token = (unwrapped.body.auth as { client_token: string }).client_token;
    secrets.push(token);
    const self = data<{ policies: string[]; meta: Record<string, string>; orphan: boolean }>(
      await vaultApi('GET', 'auth/token/lookup-self', undefined, { 'X-Vault-Token': token }),
    );
    expect(self.policies).toEqual(['default', `nhi-sudo-${suffix}`]);
    expect(self.meta).toMatchObject({ owner: 'dana', nhi_idempotency_key: `${runId}:reissue` });
    expect(self.orphan).toBe(true);
    const rec = await provider.describe(ref('token', issued.versionId));
    expect(rec.owners).toEqual(['dana']);
  });
});

describe('vault entity', () => {
  it('reports a disabled entity as disabled with owners from its metadata, and offers no actions', async () => {
    const res = await vaultApi('POST', 'identity/entity', {
      name: `nhi-entity-${suffix}`,
      metadata: { owner: 'erin' },
      disabled: true,
    });
    const id = data<{ id: string }>(res).id;
    const provider = createTestVaultProvider(deps, { kinds: ['entity'] });
    const rec = await provider.describe(ref('entity', id));
    expect(rec).toMatchObject({ state: 'disabled', owners: ['erin'], name: `nhi-entity-${suffix}` });
    expect(provider.capabilities.entity).toMatchObject({ revoke: false, reissue: false });
    await vaultApi('POST', `identity/entity/id/${id}`, { disabled: false });
    expect((await provider.describe(ref('entity', id))).state).toBe('enabled');
  });
});

describe('vault kv', () => {
  it('keeps non-secret fields, regenerates the secret ones and does not write twice after a lost answer', async () => {
    const path = `nhi-kv-${suffix}/db`;
    await vaultApi('POST', `secret/data/${path}`, {
      data: { username: 'app', password: 'old-password-123456' },
    });
    const real = createNodeVaultHttp({ address: OPENBAO_ADDR, timeoutMs: 5000 });
    let dropNextWriteAnswer = true;
    const lossy: VaultHttp = {
      async request(req) {
        const out = await real.request(req);
        if (dropNextWriteAnswer && req.method === 'POST' && req.path.includes('/data/')) {
          dropNextWriteAnswer = false;
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return out;
      },
    };
    const provider = createTestVaultProvider(deps, { kinds: ['kv'] }, { http: lossy });
    const r = ref('kv', `secret/${path}`);
    const step = {
      ...ctx(`run-${randomUUID()}`, 'reissue', { nonSecretFields: ['username'] }),
      generator: { type: 'password', length: 32, symbols: false } as const,
    };
    await expect(provider.reissue(r, step)).rejects.toThrow(/may have taken effect/);
    const retried = await provider.reissue(r, step);
    expect(retried).toMatchObject({ status: 'already-issued', versionId: '2' });
    expect((await provider.verify(r, retried)).ok).toBe(true);
    const meta = data<{ current_version: number }>(await vaultApi('GET', `secret/metadata/${path}`));
    expect(meta.current_version).toBe(2);
    const v2 = data<{ data: Record<string, string> }>(await vaultApi('GET', `secret/data/${path}`)).data;
    secrets.push(v2.password as string);
    expect(v2.username).toBe('app');
    expect(v2.password).toHaveLength(32);
    expect(fingerprint(v2.password as string)).toBe(retried.fingerprint);
  });

  it('soft-delete mode deletes without destroying; discard destroys the unverified version', async () => {
    const path = `nhi-kv-${suffix}/soft`;
    await vaultApi('POST', `secret/data/${path}`, { data: { value: 'soft-value-0123456789' } });
    const provider = createTestVaultProvider(deps, { kinds: ['kv'] });
    const r = ref('kv', `secret/${path}`);
    const res = await provider.revoke(r, ['1'], {
      ...ctx('run-soft', 'revoke'),
      params: { mode: 'soft-delete' },
    });
    expect(res[0]?.status).toBe('revoked');
    const rec = await provider.describe(r);
    expect(rec.state).toBe('deleted');
    expect(rec.versions[0]?.state).toBe('deleted');
    const issued = await provider.reissue(r, { ...ctx('run-soft'), generator: { type: 'hex', bytes: 16 } });
    await provider.discard?.(r, issued, ctx('run-soft', 'discard'));
    expect((await provider.describe(r)).versions[0]).toMatchObject({
      id: issued.versionId,
      state: 'destroyed',
    });
  });
});

describe('vault kv revoke-then-reissue keeps the non-secret fields', () => {
  const custom = async (path: string) =>
    data<{ custom_metadata: Record<string, string> | null }>(await vaultApi('GET', `secret/metadata/${path}`))
      .custom_metadata ?? {};
  // What the plan decided for {username, host, password} with nonSecretFields [username, host].
  const fields = {
    regenerate: [{ name: 'password', generator: { type: 'hex', bytes: 16 } as const }],
    keep: ['host', 'username'],
  };
  const destroy = (runId: string) => ({ ...ctx(runId, 'revoke'), params: { mode: 'destroy' }, fields });

  it('carries username through destroy, resumed revoke and reissue, never the secret', async () => {
    const path = `nhi-kv-${suffix}/carry`;
    await vaultApi('POST', `secret/data/${path}`, {
      data: { username: 'svc', host: 'db.internal', password: 'old-carry-password-123' },
    });
    const provider = createTestVaultProvider(deps, { kinds: ['kv'] });
    const r = ref('kv', `secret/${path}`);
    const runId = `run-${randomUUID()}`;
    expect((await provider.revoke(r, ['1'], destroy(runId))).map((x) => x.status)).toEqual(['revoked']);
    const carried = (await custom(path))['nhi-issue-carry'] as string;
    expect(JSON.parse(carried)).toEqual({
      v: 1,
      f: ['password'],
      d: { username: 'svc', host: 'db.internal' },
    });
    expect(carried).not.toContain('old-carry-password');
    expect((await provider.describe(r)).tags).toEqual({});
    // A resumed revoke finds nothing readable and must keep the carry it wrote.
    expect((await provider.revoke(r, ['1'], destroy(runId))).map((x) => x.status)).toEqual([
      'already-revoked',
    ]);
    expect((await custom(path))['nhi-issue-carry']).toBe(carried);

    const issued = await provider.reissue(r, {
      ...ctx(runId),
      generator: { type: 'hex', bytes: 16 },
      fields,
    });
    expect(issued).toMatchObject({ status: 'issued', versionId: '2' });
    const v2 = data<{ data: Record<string, string> }>(await vaultApi('GET', `secret/data/${path}`)).data;
    secrets.push(v2.password as string);
    expect(v2).toMatchObject({ username: 'svc', host: 'db.internal' });
    expect(Object.keys(v2).sort()).toEqual(['host', 'password', 'username']);
    expect(v2.password).toMatch(/^[0-9a-f]{32}$/);
    expect((await provider.verify(r, issued)).ok).toBe(true);
    expect(await custom(path)).not.toHaveProperty('nhi-issue-carry');
  });

  it('refuses, before destroying anything, non-secret fields over the 512-byte metadata value limit', async () => {
    const path = `nhi-kv-${suffix}/carry-big`;
    await vaultApi('POST', `secret/data/${path}`, {
      data: { username: 'svc', notes: 'n'.repeat(600), password: 'big-carry-password-1234' },
    });
    const provider = createTestVaultProvider(deps, { kinds: ['kv'] });
    const r = ref('kv', `secret/${path}`);
    const big = { regenerate: fields.regenerate, keep: ['notes', 'username'] };
    const step = { ...destroy(`run-${randomUUID()}`), fields: big };
    await expect(provider.revoke(r, ['1'], step)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/512-byte limit of a KV custom_metadata value.*nothing was revoked/),
    });
    expect((await provider.describe(r)).versions[0]).toMatchObject({ id: '1', state: 'enabled' });
    expect(await custom(path)).not.toHaveProperty('nhi-issue-carry');
  });

  it('without plan fields (a plan from an earlier version) carries only kv.nonSecretFields and regenerates the rest', async () => {
    const path = `nhi-kv-${suffix}/carry-unknown`;
    await vaultApi('POST', `secret/data/${path}`, { data: { user: 'svc', db_pass: 'unknown-field-pass-1' } });
    const provider = createTestVaultProvider(deps, { kinds: ['kv'], kv: { nonSecretFields: ['user'] } });
    const r = ref('kv', `secret/${path}`);
    const runId = `run-${randomUUID()}`;
    await provider.revoke(r, ['1'], { ...ctx(runId, 'revoke'), params: { mode: 'destroy' } });
    const carried = (await custom(path))['nhi-issue-carry'] as string;
    expect(JSON.parse(carried)).toEqual({ v: 1, f: ['db_pass'], d: { user: 'svc' } });
    await provider.reissue(r, { ...ctx(runId), generator: { type: 'hex', bytes: 16 } });
    const v2 = data<{ data: Record<string, string> }>(await vaultApi('GET', `secret/data/${path}`)).data;
    secrets.push(v2.db_pass as string);
    expect(v2.user).toBe('svc');
    expect(v2.db_pass).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('vault kv: a carry left by an earlier version', () => {
  it('resumes from an old carry that holds values, writes no new carry, and removes the old one', async () => {
    const path = `nhi-kv-${suffix}/legacy`;
    const canary = `legacy-key-canary-${suffix}`;
    await vaultApi('POST', `secret/data/${path}`, {
      data: { username: 'svc', password: 'legacy-pass-123456', private_key: canary },
    });
    // What an earlier version's revoke left: non-"default-secret" fields, values included.
    const old = JSON.stringify({ v: 1, f: ['password'], d: { username: 'svc', private_key: canary } });
    await vaultApi('POST', `secret/metadata/${path}`, { custom_metadata: { 'nhi-issue-carry': old } });
    await vaultApi('POST', `secret/destroy/${path}`, { versions: [1] });
    const provider = createTestVaultProvider(deps, { kinds: ['kv'] });
    const r = ref('kv', `secret/${path}`);
    const runId = `run-${randomUUID()}`;
    // The resumed revoke finds nothing readable: it must not write a carry again.
    await provider.revoke(r, ['1'], { ...ctx(runId, 'revoke'), params: { mode: 'destroy' } });
    const meta = async () =>
      JSON.stringify(data<{ custom_metadata: unknown }>(await vaultApi('GET', `secret/metadata/${path}`)));
    expect(JSON.parse(await meta()).custom_metadata['nhi-issue-carry']).toBe(old);
    const issued = await provider.reissue(r, { ...ctx(runId), generator: { type: 'hex', bytes: 16 } });
    expect(issued.status).toBe('issued');
    expect((await provider.verify(r, issued)).ok).toBe(true);
    expect(await meta()).not.toContain(canary);
    expect(await meta()).not.toContain('nhi-issue-carry');
  });
});

describe('vault approle login', () => {
  it('authenticates with AppRole and logs in again when the token stops working', async () => {
    const role = `nhi-login-${suffix}`;
    await vaultApi('POST', `sys/policy/nhi-reader-${suffix}`, {
      policy: 'path "secret/*" { capabilities = ["read", "list"] }',
    });
    // One use per token: the second call is refused with 403 unless the adapter logs in again.
    await vaultApi('POST', `auth/approle/role/${role}`, {
      token_policies: [`nhi-reader-${suffix}`],
      token_num_uses: 1,
    });
    const roleId = data<{ role_id: string }>(
      await vaultApi('GET', `auth/approle/role/${role}/role-id`),
    ).role_id;
    const secretId = data<{ secret_id: string }>(
      await vaultApi('POST', `auth/approle/role/${role}/secret-id`, {}),
    ).secret_id;
    secrets.push(secretId);
    await vaultApi('POST', `secret/data/nhi-login-${suffix}/x`, { data: { value: 'login-test-value-123' } });
    const config = vaultTestConfig({
      kinds: ['kv'],
      auth: { method: 'approle', roleId, secretId: 'env:NHI_TEST_APPROLE_SECRET' },
    });
    if (config.auth.method === 'approle') config.auth.secretId.resolveWith(secretId);
    const provider = createVaultProvider(config, VAULT_INSTANCE, { ...deps, ownerTagKeys: ['owner'] });
    const r = ref('kv', `secret/nhi-login-${suffix}/x`);
    expect((await provider.describe(r)).currentVersion).toBe('1');
    expect((await provider.describe(r)).currentVersion).toBe('1');
  });
});

describe('vault hostile data and errors (fake VaultHttp)', () => {
  it('skips names with control characters, warns with an escaped name, and stops a LIST that makes no progress', async () => {
    const { logger, lines } = createMemoryLogger();
    const page = [
      'ok',
      'bad\nname',
      'esc\u001b[31mred',
      ...Array.from({ length: 497 }, (_, i) => `k${String(i).padStart(3, '0')}`),
    ];
    let lists = 0;
    const fake: VaultHttp = {
      async request(req) {
        if (req.method === 'LIST') {
          lists += 1;
          if (lists > 5) throw new Error('listed forever');
          return { data: { keys: page } }; // ignores `after`: the same full page every time
        }
        return {
          data: {
            current_version: 1,
            versions: { 1: { created_time: '2026-01-01T00:00:00Z', deletion_time: '', destroyed: false } },
          },
        };
      },
    };
    const provider = createTestVaultProvider(
      { logger, fingerprint },
      { kinds: ['kv'], rateLimit: { readsPerSecond: 10_000 } },
      { http: fake },
    );
    const refs: string[] = [];
    for await (const rec of provider.inventory()) refs.push(rec.ref);
    expect(refs).toHaveLength(498);
    expect(lists).toBe(2);
    expect(lines()).not.toMatch(/\u001b/);
    expect(lines()).toContain('esc\\\\u001b[31mred');
  });

  it('retries Vault 503 and sealed 500, and does not retry other 500s', async () => {
    let calls = 0;
    const answers = [new VaultResponseError(503, []), new VaultResponseError(500, ['Vault is sealed'])];
    const fake: VaultHttp = {
      async request() {
        calls += 1;
        const next = answers.shift();
        if (next) throw next;
        throw new VaultResponseError(500, ['internal error']);
      },
    };
    const provider = createTestVaultProvider(deps, { kinds: ['entity'] }, { http: fake });
    await expect(provider.describe(ref('entity', 'e-1'))).rejects.toMatchObject({
      code: 'provider',
      status: 500,
      retryable: false,
    });
    expect(calls).toBe(3);
  });

  it('pins the narrow client shape', () => {
    expectTypeOf(createNodeVaultHttp).returns.toEqualTypeOf<VaultHttp>();
  });
});

describe('vault logs', () => {
  it('never carries a secret value, wrapping token or secret-id', () => {
    const log = memory.lines();
    for (const s of secrets) expect(log).not.toContain(s);
    expect(log).not.toContain('vault-test-fingerprint-key');
  });
});
