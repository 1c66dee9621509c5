/**
 * ProviderFixture for Azure Key Vault. It talks to the vault with the SDK directly (never via
 * the adapter). Target: whatever `servers.sh up keyvault` serves at https://localhost:8443 — a
 * Lowkey Vault jar when one is present, else the repo's fake (test/servers/keyvault/server.mjs).
 * The adapter's hostile-data and fault-injection tests use a private in-process fake instead
 * (azure.keyvault-fake.ts), so they never disturb suites sharing the server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import { createAzureProvider } from '../../providers/azure/index.js';
import { type AzureInstanceConfig, azureInstanceSchema } from '../../providers/azure/schema.js';
import { parseRef } from '../../src/lib/ref.js';
import { AZURE_KEYVAULT_URL, LOWKEY_CA_PEM } from '../servers/endpoints.js';
import type { ProviderFixture } from './fixture.js';

/** Newest Key Vault API version both Lowkey Vault 7.x (v7_2 ... v7_6 controllers) and the repo's fake serve. */
export const AZURE_TEST_SERVICE_VERSION = '7.6';
const INSTANCE = 'azure-test';
const POLL = { intervalInMs: 20 };

export interface AzureTarget {
  vaultUrl: string;
  caFile: string;
}

const anyToken: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({
    token: 'fixture-token',
    expiresOnTimestamp: Date.now() + 3_600_000,
  }),
};

function vaultAnswers(): Promise<boolean> {
  if (!existsSync(LOWKEY_CA_PEM)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request(
      `${AZURE_KEYVAULT_URL}/ping`,
      { ca: readFileSync(LOWKEY_CA_PEM), timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** The shared local vault; fails loudly (never skips) when it does not answer. */
export async function azureTarget(): Promise<AzureTarget> {
  if (await vaultAnswers()) return { vaultUrl: AZURE_KEYVAULT_URL, caFile: LOWKEY_CA_PEM };
  throw new Error(
    `no Key Vault answers at ${AZURE_KEYVAULT_URL}: run bash test/servers/servers.sh up keyvault`,
  );
}

export function azureTestConfig(
  target: Pick<AzureTarget, 'vaultUrl' | 'caFile'>,
  extra: Record<string, unknown> = {},
) {
  const config: AzureInstanceConfig = azureInstanceSchema.parse({
    type: 'azure',
    vaultUrl: target.vaultUrl,
    credential: { method: 'static-token', token: 'env:NHI_AZURE_TEST_TOKEN' },
    caFile: target.caFile,
    serviceVersion: AZURE_TEST_SERVICE_VERSION,
    disableChallengeResourceVerification: true,
    ...extra,
  });
  if (config.credential.method === 'static-token')
    config.credential.token.resolveWith('any-bearer-token-works');
  return config;
}

export function fixtureClient(target: Pick<AzureTarget, 'vaultUrl' | 'caFile'>): SecretClient {
  const options: SecretClientOptions = {
    serviceVersion: AZURE_TEST_SERVICE_VERSION,
    disableChallengeResourceVerification: true,
    tlsOptions: { ca: readFileSync(target.caFile, 'utf8') },
  };
  return new SecretClient(target.vaultUrl, anyToken, options);
}

export function createAzureFixture(): ProviderFixture {
  let target: AzureTarget | undefined;
  let client: SecretClient | undefined;
  const sdk = () => {
    if (!client) throw new Error('azure fixture used before reset()');
    return client;
  };
  const nameOf = (ref: string) => parseRef(ref).locator;
  const latestVersion = async (name: string) => {
    // The fixture writes one version per second at most, so createdOn orders versions here.
    let newest: { version: string; at: number } | undefined;
    for await (const p of sdk().listPropertiesOfSecretVersions(name)) {
      const at = p.createdOn?.getTime() ?? 0;
      if (p.version && (!newest || at >= newest.at)) newest = { version: p.version, at };
    }
    if (!newest) throw new Error(`no versions of ${name}`);
    return newest.version;
  };

  return {
    name: 'azure',
    kind: 'secret',
    async reset() {
      // Unique names per suite instead of a purge: Lowkey and Azure keep soft-deleted names.
      target ??= await azureTarget();
      client = fixtureClient(target);
    },
    async createProvider(deps) {
      if (!target) throw new Error('azure fixture used before reset()');
      return createAzureProvider(azureTestConfig(target), INSTANCE, { ...deps, ownerTagKeys: ['owner'] });
    },
    async seed({ name, value, owner }) {
      await sdk().setSecret(name, value, owner === undefined ? {} : { tags: { owner } });
      return `${INSTANCE}:secret:${name}`;
    },
    async isUsable(ref, versionId) {
      try {
        const got = await sdk().getSecret(nameOf(ref), { version: versionId });
        return got.properties.enabled !== false && typeof got.value === 'string';
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 403 || status === 404 || status === 400) return false;
        throw error;
      }
    },
    async liveVersionCount(ref) {
      let n = 0;
      for await (const p of sdk().listPropertiesOfSecretVersions(nameOf(ref))) if (p.enabled !== false) n++;
      return n;
    },
    async disable(ref) {
      const name = nameOf(ref);
      await sdk().updateSecretProperties(name, await latestVersion(name), { enabled: false });
    },
    async enable(ref) {
      const name = nameOf(ref);
      await sdk().updateSecretProperties(name, await latestVersion(name), { enabled: true });
    },
    async remove(ref) {
      await (await sdk().beginDeleteSecret(nameOf(ref), POLL)).pollUntilDone();
    },
    async restore(ref) {
      await (await sdk().beginRecoverDeletedSecret(nameOf(ref), POLL)).pollUntilDone();
    },
  };
}
