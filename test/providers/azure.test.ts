import { randomUUID } from 'node:crypto';
import type { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { buildSecretClient, clientOptions } from '../../providers/azure/client.js';
import { createAzureProvider, type SecretClientLike } from '../../providers/azure/index.js';
import { MAX_EMPTY_PAGES } from '../../providers/azure/paging.js';
import { ConfigError, ConflictError, NotFoundError, ProviderError } from '../../src/lib/errors.js';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { parseRef } from '../../src/lib/ref.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import type { CredentialProvider, IdentityRecord, ReissueContext } from '../../src/provider.js';
import { type AzureTarget, azureTarget, azureTestConfig, fixtureClient } from './azure.fixture.js';
import { type FakeKeyVault, startFakeKeyVault } from './azure.keyvault-fake.js';

const memory = createMemoryLogger();
const fingerprint = createFingerprinter(new SecretValue('azure-test-fingerprint-key'));
const suffix = randomUUID().slice(0, 8);
let target: AzureTarget;
let sdk: SecretClient;
let provider: CredentialProvider;

const ctx = (runId: string, stepId = 'reissue'): ReissueContext => ({
  runId,
  stepId,
  idempotencyKey: `${runId}:${stepId}`,
  fingerprint,
  logger: memory.logger,
  params: {},
  generator: { type: 'password', length: 40, symbols: false },
});
const ref = (name: string) => parseRef(`azure-test:secret:${name}`);
const deps = () => ({ logger: memory.logger, fingerprint, ownerTagKeys: ['owner', 'team'] });

async function collect(p: CredentialProvider): Promise<IdentityRecord[]> {
  const out: IdentityRecord[] = [];
  for await (const r of p.inventory()) out.push(r);
  return out;
}

const made: string[] = [];
const mine = (stem: string) => {
  const name = `${stem}-${suffix}`;
  made.push(name);
  return name;
};

beforeAll(async () => {
  target = await azureTarget();
  sdk = fixtureClient(target);
  provider = createAzureProvider(azureTestConfig(target), 'azure-test', deps());
});

// Leave the shared server as we found it: delete (if live) and purge what this suite made.
afterAll(async () => {
  for (const name of made) {
    await sdk
      .beginDeleteSecret(name, { intervalInMs: 20 })
      .then((poller) => poller.pollUntilDone())
      .catch(() => undefined);
    await sdk.purgeDeletedSecret(name).catch(() => undefined);
  }
});

describe('azure secret adapter against a vault', () => {
  it('keeps owner tags and content type on the reissued version and tags it with the run', async () => {
    const name = mine('keep-tags');
    await sdk.setSecret(name, 'first-value-0123456789', {
      tags: { owner: 'alice,bob', app: 'pay' },
      contentType: 'text/plain',
    });
    const issued = await provider.reissue(ref(name), ctx('run-tags'));
    const props = (await sdk.getSecret(name, { version: issued.versionId })).properties;
    expect(props.tags).toEqual({
      owner: 'alice,bob',
      app: 'pay',
      'nhi-idempotency-key': 'run-tags:reissue',
      'nhi-run': 'run-tags',
    });
    expect(props.contentType).toBe('text/plain');
    const rec = await provider.describe(ref(name));
    expect(rec.owners).toEqual(['alice', 'bob']);
    expect(rec.currentVersion).toBe(issued.versionId);
    expect(rec.versions.map((v) => v.current)).toEqual([true, false]);
  });

  it('revoke-then-reissue leaves exactly one enabled version that is the latest', async () => {
    const name = mine('rtr');
    await sdk.setSecret(name, 'compromised-0123456789', { tags: { owner: 'carol' } });
    const before = await provider.describe(ref(name));
    await provider.revoke(ref(name), [before.currentVersion as string], ctx('run-rtr', 'revoke'));
    expect((await provider.describe(ref(name))).state).toBe('disabled');
    const issued = await provider.reissue(ref(name), ctx('run-rtr'));
    const after = await provider.describe(ref(name));
    expect(after.state).toBe('enabled');
    expect(after.versions.filter((v) => v.state === 'enabled').map((v) => v.id)).toEqual([issued.versionId]);
    expect(await provider.verify(ref(name), issued)).toMatchObject({ ok: true });
  });

  it('refuses revoke modes other than disable, and unknown versions', async () => {
    const name = mine('modes');
    await sdk.setSecret(name, 'mode-value-0123456789');
    const rec = await provider.describe(ref(name));
    await expect(
      provider.revoke(ref(name), [rec.currentVersion as string], {
        ...ctx('run-m', 'revoke'),
        params: { mode: 'destroy' },
      }),
    ).rejects.toThrow(/disable/);
    await expect(provider.revoke(ref(name), ['0'.repeat(32)], ctx('run-m', 'revoke'))).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('shows soft-deleted secrets as deleted in inventory and refuses to revoke or reissue them', async () => {
    const name = mine('gone');
    await sdk.setSecret(name, 'deleted-value-0123456789', { tags: { team: 'ops' } });
    await (await sdk.beginDeleteSecret(name, { intervalInMs: 20 })).pollUntilDone();
    const rec = (await collect(provider)).find((r) => r.name === name);
    expect(rec).toMatchObject({ state: 'deleted', owners: ['ops'] });
    const version = rec?.currentVersion as string;
    await expect(provider.revoke(ref(name), [version], ctx('run-d', 'revoke'))).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(provider.reissue(ref(name), ctx('run-d'))).rejects.toBeInstanceOf(ConflictError);
    await expect(provider.describe(ref(`never-${suffix}`))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('discard disables the unverified version, after which verify fails', async () => {
    const name = mine('discard');
    await sdk.setSecret(name, 'discard-value-0123456789');
    const issued = await provider.reissue(ref(name), ctx('run-x'));
    await provider.discard?.(ref(name), issued, ctx('run-x', 'discard'));
    expect((await provider.describe(ref(name))).versions[0]).toMatchObject({
      id: issued.versionId,
      state: 'disabled',
    });
    expect((await provider.verify(ref(name), issued)).ok).toBe(false);
  });

  it('capabilities say what the kind can do', () => {
    expect(provider.capabilities.secret).toMatchObject({
      activity: false,
      discard: true,
      revokeModes: ['disable'],
    });
    expect(provider.activitySince).toBeUndefined();
  });
});

describe('azure adapter against the fake vault (hostile and failure cases)', () => {
  let fake: FakeKeyVault;
  let other: FakeKeyVault;
  let p: CredentialProvider;

  beforeAll(async () => {
    fake = await startFakeKeyVault();
    // Same certificate, so only our guard (not TLS) can stop a request to the other host.
    other = await startFakeKeyVault({ tls: fake.tls, host: '127.0.0.1' });
    p = createAzureProvider(
      azureTestConfig({ vaultUrl: fake.url, caFile: fake.tls.caFile }),
      'azure-test',
      deps(),
    );
    await fixtureClient({ vaultUrl: fake.url, caFile: fake.tls.caFile }).setSecret(
      'plain',
      'plain-value-0123456789',
    );
  });
  afterAll(async () => {
    await fake.close();
    await other.close();
  });

  const listSecretsWith = (reply: (n: number, base: string) => unknown) => {
    let n = 0;
    fake.override = (req, base) =>
      req.method === 'GET' && req.path === '/secrets' ? { status: 200, body: reply(n++, base) } : undefined;
    return () => n;
  };

  it('walks every page, and resumes a throttled page from its nextLink without repeating items', async () => {
    const many = await startFakeKeyVault({ tls: fake.tls });
    try {
      const seedClient = fixtureClient({ vaultUrl: many.url, caFile: many.tls.caFile });
      for (let i = 0; i < 60; i++)
        await seedClient.setSecret(`s${String(i).padStart(2, '0')}`, `value-${i}-0123456789`);
      let throttledOnce = false;
      many.override = (req) => {
        if (req.path === '/secrets' && req.query.get('$skiptoken') === '25' && !throttledOnce) {
          throttledOnce = true;
          return { status: 429, headers: { 'retry-after': '0' } };
        }
        return undefined;
      };
      const pm = createAzureProvider(
        azureTestConfig({ vaultUrl: many.url, caFile: many.tls.caFile }),
        'azure-test',
        deps(),
      );
      const names = (await collect(pm)).map((r) => r.name);
      expect(throttledOnce).toBe(true);
      expect(names).toHaveLength(60);
      expect(new Set(names).size).toBe(60);
      const firstPages = many.requests.filter(
        (r) => r.path === '/secrets' && r.authorized && !r.query.get('$skiptoken'),
      );
      expect(firstPages).toHaveLength(1);
    } finally {
      await many.close();
    }
  });

  it('does not follow a nextLink to another host, neither in inventory nor through the raw SDK pager', async () => {
    listSecretsWith((_n, base) => ({
      value: [{ id: `${base}/secrets/plain`, attributes: { enabled: true, created: 1, updated: 1 } }],
      nextLink: `${other.url}/secrets?api-version=7.6&$skiptoken=1`,
    }));
    try {
      await expect(collect(p)).rejects.toThrow(/refused to follow a nextLink/);
      // The SDK alone follows nextLink blindly; the pipeline policy must stop it before the wire.
      const raw = buildSecretClient(azureTestConfig({ vaultUrl: fake.url, caFile: fake.tls.caFile }));
      await expect(async () => {
        for await (const _ of raw.listPropertiesOfSecrets()) void _;
      }).rejects.toThrow(/not the configured vault/);
      expect(other.requests).toEqual([]);
    } finally {
      fake.override = undefined;
    }
  });

  it('stops on empty pages that keep a nextLink and on a repeating nextLink', async () => {
    const emptyCalls = listSecretsWith((n, base) => ({
      value: [],
      nextLink: `${base}/secrets?api-version=7.6&$skiptoken=${n + 1}`,
    }));
    const some = await collect(p);
    expect(emptyCalls()).toBe(MAX_EMPTY_PAGES);
    expect(some.every((r) => r.state === 'deleted')).toBe(true);
    const repeatCalls = listSecretsWith((_n, base) => ({
      value: [{ id: `${base}/secrets/plain`, attributes: { enabled: true, created: 1, updated: 1 } }],
      nextLink: `${base}/secrets?api-version=7.6&$skiptoken=same`,
    }));
    const recs = await collect(p);
    expect(repeatCalls()).toBe(2);
    expect(recs.filter((r) => r.name === 'plain')).toHaveLength(2);
    fake.override = undefined;
  });

  it('skips names with control characters and logs them escaped', async () => {
    listSecretsWith((_n, base) => ({
      value: [
        { id: `${base}/secrets/evil%1B%5B31mred`, attributes: { enabled: true, created: 1, updated: 1 } },
        { id: `${base}/secrets/plain`, attributes: { enabled: true, created: 1, updated: 1 } },
      ],
    }));
    const names = (await collect(p)).map((r) => r.name);
    fake.override = undefined;
    expect(names).toContain('plain');
    expect(names.some((n) => /[\u0000-\u001f]|evil/.test(n))).toBe(false);
    expect(memory.lines()).not.toContain('\u001b');
    expect(memory.lines()).toContain('not a valid Key Vault name');
  });

  it('honours 429 with one retry policy: the SDK does not retry underneath it', async () => {
    let throttled = 0;
    fake.override = (req) => {
      if (req.path !== '/secrets/plain/versions') return undefined;
      throttled++;
      return {
        status: 429,
        headers: { 'retry-after': '0' },
        body: { error: { code: 'Throttled', message: 'slow down' } },
      };
    };
    const err = await p.describe(ref('plain')).catch((e: unknown) => e);
    fake.override = undefined;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 0 });
    expect(throttled).toBe(5);
    let left = 2;
    fake.override = (req) =>
      req.path === '/secrets/plain/versions' && left-- > 0
        ? { status: 429, headers: { 'retry-after': '0' } }
        : undefined;
    expect((await p.describe(ref('plain'))).state).toBe('enabled');
    fake.override = undefined;
  });

  it('a write whose response was lost is found by its key on retry, not written twice', async () => {
    const sdkFake = fixtureClient({ vaultUrl: fake.url, caFile: fake.tls.caFile });
    await sdkFake.setSecret('lost', 'lost-value-0123456789', { tags: { owner: 'dan' } });
    let puts = 0;
    fake.rewrite = (req) =>
      req.method === 'PUT' && puts++ === 0
        ? { status: 503, body: { error: { code: 'ServiceUnavailable', message: '' } } }
        : undefined;
    const issued = await p.reissue(ref('lost'), ctx('run-lost'));
    fake.rewrite = undefined;
    expect(puts).toBe(1);
    const rec = await p.describe(ref('lost'));
    expect(rec.versions).toHaveLength(2);
    expect(rec.currentVersion).toBe(issued.versionId);
    expect((await p.verify(ref('lost'), issued)).ok).toBe(true);
    expect(await p.reissue(ref('lost'), ctx('run-lost'))).toMatchObject({
      status: 'already-issued',
      versionId: issued.versionId,
    });
  });

  it('keeps values out of errors even when the server echoes them, and survives a huge value', async () => {
    const sdkFake = fixtureClient({ vaultUrl: fake.url, caFile: fake.tls.caFile });
    await sdkFake.setSecret('echo', 'echo-value-0123456789');
    let echoed = '';
    fake.override = (req) => {
      if (req.method !== 'PUT') return undefined;
      echoed = String((req.body as { value?: string }).value);
      return { status: 400, body: { error: { code: 'BadParameter', message: `bad value ${echoed}` } } };
    };
    const err = await p.reissue(ref('echo'), ctx('run-echo')).catch((e: unknown) => e);
    fake.override = undefined;
    expect(err).toBeInstanceOf(ProviderError);
    expect(echoed.length).toBe(40);
    expect(String((err as Error).message)).not.toContain(echoed);
    expect(JSON.stringify(err)).not.toContain(echoed);
    expect(memory.lines()).not.toContain(echoed);

    const version = (await sdkFake.setSecret('huge', 'x'.repeat(16))).properties.version as string;
    const huge = 'h'.repeat(8 * 1024 * 1024);
    fake.override = (req, base) =>
      req.method === 'GET' && req.path === `/secrets/huge/${version}`
        ? {
            status: 200,
            body: {
              value: huge,
              id: `${base}/secrets/huge/${version}`,
              attributes: { enabled: true, created: 1, updated: 1 },
            },
          }
        : undefined;
    const verdict = await p.verify(ref('huge'), {
      versionId: version,
      fingerprint: fingerprint('x'.repeat(16)),
      issuedAt: '',
      status: 'issued',
    });
    fake.override = undefined;
    expect(verdict.ok).toBe(false);
    expect(memory.lines()).not.toContain('hhhhhhhh');
  });

  it('reports weak re-enable evidence when the latest version was updated after creation while enabled', async () => {
    const sdkFake = fixtureClient({ vaultUrl: fake.url, caFile: fake.tls.caFile });
    const v = (await sdkFake.setSecret('flip', 'flip-value-0123456789')).properties.version as string;
    expect((await p.describe(ref('flip'))).reenableEvidence).toBeUndefined();
    await sdkFake.updateSecretProperties('flip', v, { enabled: false });
    fake.advanceClock(60);
    await sdkFake.updateSecretProperties('flip', v, { enabled: true });
    const rec = await p.describe(ref('flip'));
    expect(rec.state).toBe('enabled');
    expect(rec.reenableEvidence?.[0]?.detail).toMatch(/^weak:/);
  });
});

describe('azure client construction', () => {
  it('codes against a narrow client shape that the real SecretClient satisfies', () => {
    expectTypeOf<SecretClient>().toMatchTypeOf<SecretClientLike>();
  });

  it('turns an unreadable caFile into a ConfigError and turns SDK retries off', () => {
    const config = azureTestConfig({ vaultUrl: 'https://localhost:1', caFile: '/nonexistent/ca.pem' });
    expect(() => clientOptions(config)).toThrow(ConfigError);
    const ok = clientOptions({ ...config, caFile: undefined });
    expect(ok.retryOptions).toEqual({ maxRetries: 0 });
    expect(ok.additionalPolicies?.[0]?.position).toBe('perRetry');
  });
});
