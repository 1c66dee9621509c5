/**
 * Issue 11, item 8: Lowkey Vault (like Azure) answers 404 to listing the versions of a
 * soft-deleted secret, where the repo's fake answers an empty list. loadLive always read that
 * 404 as "no versions"; findIssued let it through, so a resumed reissue of a soft-deleted
 * secret failed with a bare not-found instead of "soft-deleted: recover it first". Both now
 * agree. The fake is told to answer as Lowkey does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAzureProvider } from '../../providers/azure/index.js';
import { ConflictError } from '../../src/lib/errors.js';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { parseRef } from '../../src/lib/ref.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import type { CredentialProvider, ReissueContext } from '../../src/provider.js';
import { azureTestConfig, fixtureClient } from './azure.fixture.js';
import { type FakeKeyVault, startFakeKeyVault } from './azure.keyvault-fake.js';

const memory = createMemoryLogger();
const fingerprint = createFingerprinter(new SecretValue('azure-soft-deleted-fp'));
const ctx: ReissueContext = {
  runId: 'run-sd',
  stepId: 'reissue',
  idempotencyKey: 'run-sd:reissue',
  fingerprint,
  logger: memory.logger,
  params: {},
  generator: { type: 'password', length: 40, symbols: false },
};

let fake: FakeKeyVault;
let provider: CredentialProvider;

beforeAll(async () => {
  fake = await startFakeKeyVault();
  const target = { vaultUrl: fake.url, caFile: fake.tls.caFile };
  const sdk = fixtureClient(target);
  await sdk.setSecret('gone', 'deleted-value-0123456789');
  await (await sdk.beginDeleteSecret('gone', { intervalInMs: 20 })).pollUntilDone();
  // Lowkey Vault: the versions of a soft-deleted secret are not found.
  fake.override = (req) =>
    req.method === 'GET' && req.path === '/secrets/gone/versions'
      ? { status: 404, body: { error: { code: 'SecretNotFound', message: 'gone' } } }
      : undefined;
  provider = createAzureProvider(azureTestConfig(target), 'azure-test', {
    logger: memory.logger,
    fingerprint,
    ownerTagKeys: ['owner'],
  });
});

afterAll(() => fake.close());

describe('azure: a soft-deleted secret whose version listing answers 404 (issue 11, item 8)', () => {
  const ref = parseRef('azure-test:secret:gone');

  it('findIssued reads the 404 as "no versions", like loadLive: nothing was issued with this key', async () => {
    await expect(provider.findIssued(ref, ctx.idempotencyKey)).resolves.toBeUndefined();
  });

  it('reissue then refuses as for any soft-deleted secret (recover it first), not with a bare not-found', async () => {
    const error = await provider.reissue(ref, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(String((error as Error).message)).toMatch(/soft-deleted: recover it before reissuing/);
  });
});
