/**
 * Issue 11, item 7: a provider that cannot be reached says which instance and which address,
 * and keeps the network facts as the cause (Node's code and address, never the SDK error with
 * its request, so never a token or a value). One per provider, against a closed port on 127.0.0.1.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createAwsProvider } from '../../providers/aws/index.js';
import { createAzureProvider } from '../../providers/azure/index.js';
import { createVaultProvider } from '../../providers/vault/index.js';
import { ProviderError } from '../../src/lib/errors.js';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { NetworkCause } from '../../src/lib/network-cause.js';
import { parseRef } from '../../src/lib/ref.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import type { CredentialProvider } from '../../src/provider.js';
import { motoConfig } from './aws.fixture.js';
import { azureTestConfig } from './azure.fixture.js';
import { vaultTestConfig } from './vault.fixture.js';

const TOKEN = 'closed-port-canary-token-5d1e';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const deps = () => ({
  logger: createMemoryLogger().logger,
  fingerprint: createFingerprinter(new SecretValue('fp-key')),
  ownerTagKeys: ['owner'],
});

async function failure(p: CredentialProvider, ref: string): Promise<ProviderError> {
  try {
    await p.describe(parseRef(ref));
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected the call to fail');
}

function expectNamed(error: ProviderError, label: string) {
  expect(error.message).toContain(label);
  expect(error.cause).toBeInstanceOf(NetworkCause);
  expect((error.cause as NetworkCause).code).toBe('ECONNREFUSED');
  expect((error.cause as NetworkCause).message).toMatch(/ECONNREFUSED connect 127\.0\.0\.1:\d+/);
  expect(JSON.stringify({ m: error.message, c: String(error.cause), s: error.stack })).not.toContain(TOKEN);
}

describe('connection errors name the provider instance and address, and keep the network cause', () => {
  it('vault', async () => {
    const address = `http://127.0.0.1:${await closedPort()}`;
    const config = vaultTestConfig({ address });
    if (config.auth.method === 'token') config.auth.token.resolveWith(TOKEN);
    const p = createVaultProvider(config, 'vault-closed', deps());
    const error = await failure(p, 'vault-closed:kv:secret/app/db');
    expectNamed(error, `vault instance "vault-closed" at ${address}`);
  }, 30_000);

  it('aws', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const p = createAwsProvider(motoConfig({ endpoint }), 'aws-closed', deps());
    const error = await failure(p, 'aws-closed:secret:svc/db');
    expectNamed(error, `aws instance "aws-closed" at ${endpoint}`);
  }, 30_000);

  it('azure', async () => {
    const vaultUrl = `https://127.0.0.1:${await closedPort()}`;
    const config = azureTestConfig({ vaultUrl, caFile: undefined as unknown as string });
    if (config.credential.method === 'static-token') config.credential.token.resolveWith(TOKEN);
    const p = createAzureProvider(config, 'azure-closed', deps());
    const error = await failure(p, 'azure-closed:secret:db-password');
    expectNamed(error, `azure instance "azure-closed" at ${vaultUrl}`);
  }, 30_000);
});
