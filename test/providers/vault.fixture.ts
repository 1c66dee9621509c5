/**
 * Vault fixture for the provider contract: seeds and inspects KV v2 secrets on the local
 * OpenBao dev server with plain HTTP (never through the adapter under test).
 */

import { randomUUID } from 'node:crypto';
import { createVaultProvider, type VaultProviderOverrides } from '../../providers/vault/index.js';
import { type VaultInstanceConfig, vaultInstanceSchema } from '../../providers/vault/schema.js';
import { parseRef } from '../../src/lib/ref.js';
import { SecretValue } from '../../src/lib/secret.js';
import type { ProviderDeps } from '../../src/provider.js';
import { OPENBAO_ADDR, OPENBAO_ROOT_TOKEN } from '../servers/endpoints.js';
import type { ProviderFixture } from './fixture.js';

export const VAULT_INSTANCE = 'vault-test';
/**
 * Per test process (vitest runs files in parallel against one OpenBao): reset() wipes only this
 * prefix, so one suite's reset never deletes what another suite seeded (as aws.fixture.ts does).
 */
const PREFIX = `nhi-contract-${randomUUID().slice(0, 8)}`;

/** Raw Vault HTTP for tests: returns status and parsed body, never throws on HTTP errors. */
export async function vaultApi(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${OPENBAO_ADDR}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': OPENBAO_ROOT_TOKEN, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export function vaultTestConfig(extra: Record<string, unknown> = {}): VaultInstanceConfig {
  const config = vaultInstanceSchema.parse({
    type: 'vault',
    address: OPENBAO_ADDR,
    auth: { method: 'token', token: 'env:NHI_TEST_VAULT_TOKEN' },
    ...extra,
  });
  if (config.auth.method === 'token') config.auth.token.resolveWith(OPENBAO_ROOT_TOKEN);
  return config;
}

export function createTestVaultProvider(
  deps: Pick<ProviderDeps, 'logger' | 'fingerprint'> & Partial<ProviderDeps>,
  extra: Record<string, unknown> = {},
  overrides: VaultProviderOverrides = {},
) {
  return createVaultProvider(
    vaultTestConfig(extra),
    VAULT_INSTANCE,
    { ownerTagKeys: ['owner'], ...deps },
    overrides,
  );
}

const kvPathOf = (ref: string) => parseRef(ref).locator.replace(/^secret\//, '');

async function currentVersion(ref: string): Promise<number> {
  const meta = await vaultApi('GET', `secret/metadata/${kvPathOf(ref)}`);
  return (meta.body.data as { current_version: number }).current_version;
}

export const vaultFixture: ProviderFixture = {
  name: 'vault',
  kind: 'kv',

  async reset() {
    const list = await vaultApi('LIST', `secret/metadata/${PREFIX}`);
    const keys = ((list.body.data as { keys?: string[] } | undefined)?.keys ?? []).filter(
      (k) => !k.endsWith('/'),
    );
    for (const key of keys) await vaultApi('DELETE', `secret/metadata/${PREFIX}/${key}`);
  },

  async createProvider(deps) {
    return createTestVaultProvider(deps, { kinds: ['kv'] });
  },

  async seed({ name, value, owner }) {
    const path = `${PREFIX}/${name}`;
    const res = await vaultApi('POST', `secret/data/${path}`, { data: { value } });
    if (res.status !== 200) throw new Error(`seed ${path}: HTTP ${res.status}`);
    if (owner) await vaultApi('POST', `secret/metadata/${path}`, { custom_metadata: { owner } });
    return `${VAULT_INSTANCE}:kv:secret/${path}`;
  },

  async isUsable(ref, versionId) {
    const res = await vaultApi('GET', `secret/data/${kvPathOf(ref)}?version=${versionId}`);
    return res.status === 200 && (res.body.data as { data: unknown } | undefined)?.data != null;
  },

  async liveVersionCount(ref) {
    const meta = await vaultApi('GET', `secret/metadata/${kvPathOf(ref)}`);
    const versions = (
      meta.body.data as { versions: Record<string, { deletion_time: string; destroyed: boolean }> }
    ).versions;
    return Object.values(versions).filter((v) => !v.destroyed && v.deletion_time === '').length;
  },

  async remove(ref) {
    await vaultApi('POST', `secret/delete/${kvPathOf(ref)}`, { versions: [await currentVersion(ref)] });
  },

  async restore(ref) {
    await vaultApi('POST', `secret/undelete/${kvPathOf(ref)}`, { versions: [await currentVersion(ref)] });
  },
};

export const rootToken = () => new SecretValue(OPENBAO_ROOT_TOKEN);

const ROLE_PREFIX = 'nhi-crash-role';

/**
 * AppRole: one role per seed with one secret-id (metadata owner); versions are secret-id
 * accessors. Live versions = the role's secret-ids.
 */
export const vaultAppRoleFixture: ProviderFixture = {
  name: 'vault-approle',
  kind: 'approle',

  async reset() {
    await vaultApi('POST', 'sys/auth/approle', { type: 'approle' });
    const list = await vaultApi('LIST', 'auth/approle/role');
    const roles = ((list.body.data as { keys?: string[] } | undefined)?.keys ?? []).filter((r) =>
      r.startsWith(ROLE_PREFIX),
    );
    for (const r of roles) await vaultApi('DELETE', `auth/approle/role/${r}`);
  },

  async createProvider(deps) {
    return createTestVaultProvider(deps, { kinds: ['approle'] });
  },

  async seed({ name, owner }) {
    const role = `${ROLE_PREFIX}-${name}`.slice(0, 100);
    await vaultApi('POST', `auth/approle/role/${role}`, { token_policies: ['default'] });
    const res = await vaultApi('POST', `auth/approle/role/${role}/secret-id`, {
      metadata: JSON.stringify(owner ? { owner } : {}),
    });
    if (res.status !== 200) throw new Error(`seed approle ${role}: HTTP ${res.status}`);
    return `${VAULT_INSTANCE}:approle:${role}`;
  },

  async isUsable(ref, versionId) {
    const role = parseRef(ref).locator.split('/')[0];
    const res = await vaultApi('POST', `auth/approle/role/${role}/secret-id-accessor/lookup`, {
      secret_id_accessor: versionId,
    });
    return res.status === 200;
  },

  async liveVersionCount(ref) {
    const role = parseRef(ref).locator.split('/')[0];
    const list = await vaultApi('LIST', `auth/approle/role/${role}/secret-id`);
    return ((list.body.data as { keys?: string[] } | undefined)?.keys ?? []).length;
  },
};

const seededTokenNames = new Map<string, string>();

/** Live tokens whose display name is `token-<name>` (a like-for-like reissue keeps the display name). */
async function tokensNamed(displayName: string): Promise<number> {
  const list = await vaultApi('LIST', 'auth/token/accessors');
  let n = 0;
  for (const accessor of (list.body.data as { keys?: string[] } | undefined)?.keys ?? []) {
    const res = await vaultApi('POST', 'auth/token/lookup-accessor', { accessor });
    if (res.status === 200 && (res.body.data as { display_name?: string }).display_name === displayName) n++;
  }
  return n;
}

/**
 * Tokens: one orphan token per seed with display name = seed name; the ref names its accessor,
 * the new token is a new accessor with the same display name.
 */
export const vaultTokenFixture: ProviderFixture = {
  name: 'vault-token',
  kind: 'token',

  async reset() {},

  async createProvider(deps) {
    return createTestVaultProvider(deps, { kinds: ['token'] });
  },

  async seed({ name, owner }) {
    const res = await vaultApi('POST', 'auth/token/create-orphan', {
      policies: ['default'],
      display_name: name,
      ttl: '2h',
      meta: owner ? { owner } : {},
    });
    if (res.status !== 200) throw new Error(`seed token ${name}: HTTP ${res.status}`);
    const ref = `${VAULT_INSTANCE}:token:${(res.body.auth as { accessor: string }).accessor}`;
    seededTokenNames.set(ref, `token-${name}`);
    return ref;
  },

  async isUsable(_ref, versionId) {
    return (await vaultApi('POST', 'auth/token/lookup-accessor', { accessor: versionId })).status === 200;
  },

  async liveVersionCount(ref) {
    const name = seededTokenNames.get(ref);
    if (!name) throw new Error(`liveVersionCount: ${ref} was not seeded by this fixture`);
    return tokensNamed(name);
  },
};
