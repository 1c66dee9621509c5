/**
 * The kind seam (src/provider-kinds.ts, docs/adr/007): capabilities are read off an adapter's
 * methods, composeProvider dispatches by kind, and the shipped providers' tables are pinned.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createAwsProviderWithClients } from '../../providers/aws/index.js';
import { awsInstanceSchema } from '../../providers/aws/schema.js';
import { createAzureProvider, type SecretClientLike } from '../../providers/azure/index.js';
import { azureInstanceSchema } from '../../providers/azure/schema.js';
import { createVaultProvider } from '../../providers/vault/index.js';
import { vaultInstanceSchema } from '../../providers/vault/schema.js';
import { NotFoundError, UsageError } from '../../src/lib/errors.js';
import { parseRef } from '../../src/lib/ref.js';
import type {
  CredentialKind,
  IdentityRecord,
  IssuedCredential,
  KindCapabilities,
  ProviderDeps,
  StepContext,
} from '../../src/provider.js';
import { capabilitiesOf, composeProvider, type KindAdapter } from '../../src/provider-kinds.js';

const logger = pino({ level: 'silent' });
const record = (locator: string): IdentityRecord => ({
  ref: `i1:secret:${locator}`,
  provider: 'aws',
  instance: 'i1',
  kind: 'secret',
  name: locator,
  owners: [],
  state: 'enabled',
  lastUsedConfidence: 'none',
  tags: {},
  versions: [],
});
const issued: IssuedCredential = {
  versionId: 'v2',
  fingerprint: 'fp',
  issuedAt: '2024-01-01T00:00:00Z',
  status: 'issued',
};
const step = { logger, params: {} } as unknown as StepContext;

/** Scan only: inventory and describe. */
const scanOnly: KindAdapter = {
  async *inventory() {
    yield record('scan-1');
  },
  describe: async (locator) => record(locator),
};

/** Revoke and reissue, but no discard, promote, makeRoom or activitySince. */
const noDiscard: KindAdapter = {
  revokeModes: ['disable'],
  describe: async (locator) => record(locator),
  revoke: async (_l, ids) => ids.map((versionId) => ({ versionId, status: 'revoked', revokedAt: 'now' })),
  reissue: async () => issued,
  findIssued: async () => undefined,
  verify: async () => ({ ok: true, detail: 'ok' }),
};

const calls: string[] = [];
const full: KindAdapter = {
  revokeModes: ['destroy', 'soft-delete'],
  async *inventory(signal) {
    calls.push(`inventory:${signal ? 'signal' : 'none'}`);
    yield record('full-1');
  },
  describe: async (locator) => record(locator),
  revoke: async () => [],
  reissue: async () => issued,
  findIssued: async (locator) => {
    if (locator === 'gone') throw new NotFoundError('gone');
    return issued;
  },
  verify: async () => ({ ok: true, detail: 'ok' }),
  promote: async (locator) => {
    calls.push(`promote:${locator}`);
  },
  discard: async (locator) => {
    calls.push(`discard:${locator}`);
  },
  makeRoom: async () => [],
  activitySince: async () => [],
};

describe('capabilitiesOf', () => {
  it('reads every flag off the methods; revokeModes is the only declared value', () => {
    expect(capabilitiesOf(scanOnly)).toEqual({
      inventory: true,
      revoke: false,
      reissue: false,
      verify: false,
      activity: false,
      discard: false,
      revokeModes: [],
    });
    expect(capabilitiesOf(noDiscard)).toMatchObject({
      revoke: true,
      reissue: true,
      verify: true,
      discard: false,
    });
    expect(capabilitiesOf(noDiscard)).not.toHaveProperty('makeRoom');
    expect(capabilitiesOf(full)).toEqual({
      inventory: true,
      revoke: true,
      reissue: true,
      verify: true,
      activity: true,
      discard: true,
      revokeModes: ['destroy', 'soft-delete'],
      makeRoom: true,
    });
  });

  it('the type ties revokeModes to revoke and the issued-version methods to reissue', () => {
    const describeOnly = { describe: async (l: string) => record(l) };
    // @ts-expect-error revoke without the modes it takes
    const a: KindAdapter = { ...describeOnly, revoke: async () => [] };
    // @ts-expect-error revoke modes without a revoke
    const b: KindAdapter = { ...describeOnly, revokeModes: ['destroy'] };
    // @ts-expect-error discard without a reissue
    const c: KindAdapter = { ...describeOnly, discard: async () => {} };
    // @ts-expect-error reissue without findIssued
    const d: KindAdapter = { ...describeOnly, reissue: async () => issued };
    expect([a, b, c, d]).toHaveLength(4);
  });
});

describe('composeProvider', () => {
  const provider = composeProvider({
    type: 'aws',
    instance: 'i1',
    kinds: new Map<CredentialKind, KindAdapter>([
      ['secret', noDiscard],
      ['iam-key', full],
      ['entity', scanOnly],
    ]),
    notFoundIsNotIssued: true,
  });

  it('reports each kind as its methods say; a kind without discard reports discard:false', () => {
    expect(provider.capabilities.secret?.discard).toBe(false);
    expect(provider.capabilities['iam-key']?.discard).toBe(true);
    expect(provider.capabilities.entity?.revoke).toBe(false);
  });

  it('calling a method the kind lacks is a clear UsageError', async () => {
    const call = () => provider.discard?.(parseRef('i1:secret:x'), issued, step);
    await expect(call()).rejects.toThrow(UsageError);
    await expect(call()).rejects.toThrow('aws kind secret cannot discard (capability "discard" is false)');
    await expect(provider.revoke(parseRef('i1:entity:e'), ['v1'], step)).rejects.toThrow(
      /aws kind entity cannot revoke/,
    );
    await expect(provider.makeRoom?.(parseRef('i1:secret:x'), ['v1'], step)).rejects.toThrow(UsageError);
    await expect(provider.activitySince?.(parseRef('i1:entity:e'), 'now', [])).rejects.toThrow(UsageError);
  });

  it('dispatches with the locator to the ref kind', async () => {
    calls.length = 0;
    await provider.discard?.(parseRef('i1:iam-key:u/AKIA1'), issued, step);
    await provider.promote?.(parseRef('i1:iam-key:u/AKIA1'), issued, step);
    // A kind without promote: writing already made the version serve, so promote is a no-op.
    await provider.promote?.(parseRef('i1:secret:x'), issued, step);
    expect(calls).toEqual(['discard:u/AKIA1', 'promote:u/AKIA1']);
    await expect(provider.revoke(parseRef('i1:secret:x'), ['v1'], step)).resolves.toMatchObject([
      { versionId: 'v1', status: 'revoked' },
    ]);
  });

  it('refuses a ref of another instance or an unconfigured kind', async () => {
    await expect(provider.describe(parseRef('other:secret:x'))).rejects.toThrow(UsageError);
    await expect(provider.describe(parseRef('i1:kv:x'))).rejects.toThrow(
      'aws instance i1 is not configured for kind "kv"',
    );
  });

  it('lists kinds in map order, passing the signal, and skips kinds without inventory', async () => {
    calls.length = 0;
    const names: string[] = [];
    for await (const r of provider.inventory({ signal: new AbortController().signal })) names.push(r.name);
    expect(names).toEqual(['full-1', 'scan-1']);
    expect(calls).toEqual(['inventory:signal']);
  });

  it('findIssued: NotFoundError means "not issued" only when asked for', async () => {
    await expect(provider.findIssued(parseRef('i1:iam-key:gone'), 'k')).resolves.toBeUndefined();
    const strict = composeProvider({ type: 'azure', instance: 'i1', kinds: new Map([['secret', full]]) });
    await expect(strict.findIssued(parseRef('i1:secret:gone'), 'k')).rejects.toThrow(NotFoundError);
    await expect(strict.findIssued(parseRef('i1:secret:here'), 'k')).resolves.toEqual(issued);
  });

  it('defines an optional method only when some kind has it', () => {
    const p = composeProvider({ type: 'vault', instance: 'i1', kinds: new Map([['kv', noDiscard]]) });
    expect(p.discard).toBeUndefined();
    expect(p.promote).toBeUndefined();
    expect(p.makeRoom).toBeUndefined();
    expect(p.activitySince).toBeUndefined();
    expect(p.close).toBeUndefined();
  });
});

describe('shipped providers', () => {
  const deps: ProviderDeps = { logger, fingerprint: () => 'fp', ownerTagKeys: ['owner'] };
  const revocable = (revokeModes: string[], activity: boolean): KindCapabilities => ({
    inventory: true,
    revoke: true,
    reissue: true,
    verify: true,
    activity,
    discard: true,
    revokeModes,
  });

  it('keep the capability tables they had before the kind seam', () => {
    const vault = createVaultProvider(
      vaultInstanceSchema.parse({
        type: 'vault',
        address: 'http://127.0.0.1:1',
        auth: { method: 'token', token: 'env:NHI_UNUSED' },
        rateLimit: {},
      }),
      'v1',
      deps,
      { http: { request: async () => ({}) } },
    );
    expect(vault.capabilities).toStrictEqual({
      kv: revocable(['destroy', 'soft-delete'], false),
      approle: revocable(['destroy'], false),
      token: revocable(['revoke-accessor'], false),
      entity: {
        inventory: true,
        revoke: false,
        reissue: false,
        verify: false,
        activity: false,
        discard: false,
        revokeModes: [],
      },
    });

    const aws = createAwsProviderWithClients(
      awsInstanceSchema.parse({
        type: 'aws',
        region: 'eu-west-1',
        credentials: { method: 'default' },
        rateLimit: {},
      }),
      'a1',
      deps,
      { secretsManager: { send: async () => ({}) }, iam: { send: async () => ({}) } },
    );
    expect(aws.capabilities).toStrictEqual({
      secret: revocable(['remove-labels'], true),
      'iam-key': { ...revocable(['deactivate', 'delete'], true), makeRoom: true },
    });

    const azure = createAzureProvider(
      azureInstanceSchema.parse({
        type: 'azure',
        vaultUrl: 'https://x.vault.azure.net',
        credential: { method: 'default' },
        rateLimit: {},
      }),
      'z1',
      deps,
      { client: {} as SecretClientLike },
    );
    expect(azure.capabilities).toStrictEqual({ secret: revocable(['disable'], false) });
  });
});
