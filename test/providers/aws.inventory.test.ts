/**
 * Secret inventory is built from ListSecrets pages alone (ADR 023): no per-secret call, and
 * the records agree with describe on every field the scan reads. Describe keeps
 * ListSecretVersionIds, under its own budget, for unlabelled versions and version dates.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { createLimiters, DEFAULT_RATES } from '../../providers/aws/client.js';
import { createAwsProvider } from '../../providers/aws/index.js';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { parseRef } from '../../src/lib/ref.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import type { IdentityRecord } from '../../src/provider.js';
import { drain, fakeProvider, fakeSecretsManager } from './aws.fake.js';
import { AWS_INSTANCE, motoClientConfig, motoConfig } from './aws.fixture.js';

const memory = createMemoryLogger();
const fingerprint = createFingerprinter(new SecretValue('aws-inventory-test-key'));
const deps = { logger: memory.logger, fingerprint, ownerTagKeys: ['owner', 'team'] };

/** The fields the scan reads, with versions reduced to the labelled ones, keyed by id. */
function scanView(rec: IdentityRecord | undefined) {
  if (!rec) return undefined;
  const labelled = rec.versions
    .filter((v) => (v.labels ?? []).length > 0)
    .map((v) => ({ id: v.id, labels: v.labels, state: v.state, current: v.current }))
    .sort((a, b) => a.id.localeCompare(b.id));
  return {
    state: rec.state,
    owners: rec.owners,
    currentVersion: rec.currentVersion,
    lastUsedAt: rec.lastUsedAt,
    lastUsedConfidence: rec.lastUsedConfidence,
    lastUsedSignal: rec.lastUsedSignal,
    lastRotatedAt: rec.lastRotatedAt,
    createdAt: rec.createdAt,
    tags: rec.tags,
    labelled,
  };
}

describe('aws secret inventory (fake client through the narrow shape)', () => {
  it('N secrets cost ceil(N/100) ListSecrets calls and no ListSecretVersionIds', async () => {
    const n = 250;
    const all = Array.from({ length: n }, (_, i) => ({
      Name: `svc/${i}`,
      ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:svc/${i}-abcdef`,
      SecretVersionsToStages: { [`v${i}`]: ['AWSCURRENT'] },
    }));
    const sizes: unknown[] = [];
    const fake = fakeSecretsManager({
      ListSecrets: (input) => {
        sizes.push(input.MaxResults);
        const start = Number(input.NextToken ?? 0);
        const end = start + 100;
        return { SecretList: all.slice(start, end), ...(end < n ? { NextToken: String(end) } : {}) };
      },
    });
    const recs = await drain(fakeProvider(fake.client, deps));
    expect(recs).toHaveLength(n);
    expect(recs[n - 1]).toMatchObject({ name: `svc/${n - 1}`, currentVersion: `v${n - 1}` });
    expect(fake.calls.filter((c) => c === 'ListSecrets')).toHaveLength(Math.ceil(n / 100));
    expect(fake.calls.filter((c) => c === 'ListSecretVersionIds')).toHaveLength(0);
    expect(fake.calls).toHaveLength(Math.ceil(n / 100));
    expect(sizes.every((s) => s === 100)).toBe(true);
  });

  it('inventory and describe agree on the scan fields; describe adds unlabelled versions and dates', async () => {
    const meta = {
      Name: 'app/db',
      ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-abcdef',
      Tags: [{ Key: 'owner', Value: 'alice, bob' }],
      CreatedDate: new Date('2025-01-01T00:00:00Z'),
      LastChangedDate: new Date('2025-06-01T10:00:00Z'),
      LastRotatedDate: new Date('2025-05-01T10:00:00Z'),
      LastAccessedDate: new Date('2025-07-01T00:00:00Z'),
    };
    // moto-style: the unlabelled version listed with []; real AWS omits it.
    const stages = { cur: ['AWSCURRENT'], prev: ['AWSPREVIOUS'], old: [] };
    const fake = fakeSecretsManager({
      ListSecrets: () => ({ SecretList: [{ ...meta, SecretVersionsToStages: stages }] }),
      DescribeSecret: () => ({ ...meta, VersionIdsToStages: { cur: ['AWSCURRENT'], prev: ['AWSPREVIOUS'] } }),
      ListSecretVersionIds: (input) => {
        expect(input.IncludeDeprecated).toBe(true);
        return {
          Versions: [
            { VersionId: 'old', VersionStages: [], CreatedDate: new Date('2025-03-01T00:00:00Z') },
            {
              VersionId: 'prev',
              VersionStages: ['AWSPREVIOUS'],
              CreatedDate: new Date('2025-04-01T00:00:00Z'),
            },
            {
              VersionId: 'cur',
              VersionStages: ['AWSCURRENT'],
              CreatedDate: new Date('2025-05-01T00:00:00Z'),
            },
          ],
        };
      },
    });
    const provider = fakeProvider(fake.client, deps);
    const [listed] = await drain(provider);
    const described = await provider.describe(parseRef('aws-fake:secret:app/db'));
    expect(fake.calls).toEqual(['ListSecrets', 'DescribeSecret', 'ListSecretVersionIds']);
    expect(scanView(listed)).toEqual(scanView(described));
    expect(scanView(listed)).toMatchObject({
      owners: ['alice', 'bob'],
      currentVersion: 'cur',
      lastUsedAt: '2025-07-01T00:00:00.000Z',
      lastRotatedAt: '2025-05-01T10:00:00.000Z',
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    expect(listed?.versions.map((v) => v.id)).toEqual(['cur', 'prev']);
    expect(described.versions.map((v) => [v.id, v.state, v.createdAt?.slice(0, 7)])).toEqual([
      ['cur', 'enabled', '2025-05'],
      ['prev', 'enabled', '2025-04'],
      ['old', 'disabled', '2025-03'],
    ]);
  });

  it('ListSecretVersionIds has its own conservative budget, capped by reads, overridable', () => {
    const rate = (o: Record<string, unknown>) => createLimiters(motoConfig(o)).smVersions.ratePerSecond;
    expect(DEFAULT_RATES.smVersions).toBe(40);
    expect(rate({})).toBe(40);
    expect(rate({ rateLimit: { readsPerSecond: 10 } })).toBe(10);
    expect(rate({ rateLimit: { readsPerSecond: 10 }, secrets: { versionListPerSecond: 20 } })).toBe(20);
    expect(createLimiters(motoConfig({})).smList.ratePerSecond).toBe(90);
    expect(() => motoConfig({ secrets: { versionListPerSecond: 0 } })).toThrow();
  });
});

describe('aws secret inventory vs describe (moto)', () => {
  it('agree on the scan fields for a secret with a current, previous and unlabelled version', async () => {
    const prefix = `nhi-aws-inv-${randomUUID().slice(0, 8)}/`;
    const sm = new SecretsManagerClient(motoClientConfig());
    const name = `${prefix}agree`;
    await sm.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: 'v1-0123456789',
        Tags: [{ Key: 'team', Value: 'pay' }],
      }),
    );
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2-0123456789' }));
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v3-0123456789' }));
    sm.destroy();
    const provider = createAwsProvider(
      motoConfig({ kinds: ['secret'], secrets: { namePrefix: prefix } }),
      AWS_INSTANCE,
      deps,
    );
    const listed = (await drain(provider)).find((r) => r.name === name);
    const described = await provider.describe(parseRef(`${AWS_INSTANCE}:secret:${name}`));
    expect(scanView(listed)).toEqual(scanView(described));
    expect(listed?.owners).toEqual(['pay']);
    expect(listed?.versions.map((v) => v.labels)).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
    expect(described.versions.filter((v) => v.state === 'disabled')).toHaveLength(1);
    expect(described.versions.every((v) => v.createdAt)).toBe(true);
  });
});
