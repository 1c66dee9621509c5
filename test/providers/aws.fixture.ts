/**
 * AWS fixture for the provider contract: seeds and inspects Secrets Manager on the local
 * moto server with the SDK directly, never through the adapter.
 *
 * No POST /moto-api/reset here: vitest runs test files in parallel and moto is shared with
 * other suites, so a global wipe would pull state from under them. Every name carries a
 * per-suite prefix instead, and the provider under test only lists that prefix.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createAwsProvider } from '../../providers/aws/index.js';
import { type AwsInstanceConfig, awsInstanceSchema } from '../../providers/aws/schema.js';
import { parseRef } from '../../src/lib/ref.js';
import { MOTO_ENDPOINT, MOTO_REGION } from '../servers/endpoints.js';
import type { ProviderFixture } from './fixture.js';

export const AWS_INSTANCE = 'aws-test';
/** Looks like a real key id (moto accepts any); 'test' is too short for the config schema. */
export const TEST_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const TEST_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

process.env.AWS_EC2_METADATA_DISABLED = 'true';

export function motoConfig(overrides: Record<string, unknown> = {}): AwsInstanceConfig {
  const config = awsInstanceSchema.parse({
    type: 'aws',
    region: MOTO_REGION,
    endpoint: MOTO_ENDPOINT,
    credentials: {
      method: 'static',
      accessKeyId: TEST_ACCESS_KEY_ID,
      secretAccessKey: 'env:NHI_TEST_AWS_SECRET',
    },
    ...overrides,
  });
  if (config.credentials.method === 'static')
    config.credentials.secretAccessKey.resolveWith(TEST_SECRET_ACCESS_KEY);
  return config;
}

export function motoClientConfig(accessKeyId = TEST_ACCESS_KEY_ID, secretAccessKey = TEST_SECRET_ACCESS_KEY) {
  return {
    region: MOTO_REGION,
    endpoint: MOTO_ENDPOINT,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  };
}

export function createAwsFixture(): ProviderFixture {
  const prefix = `nhi-contract-${randomUUID().slice(0, 8)}/`;
  const sm = new SecretsManagerClient(motoClientConfig());

  async function labelsOf(ref: string): Promise<Map<string, string[]> | undefined> {
    const meta = await sm.send(new DescribeSecretCommand({ SecretId: parseRef(ref).locator }));
    if (meta.DeletedDate) return undefined;
    return new Map(Object.entries(meta.VersionIdsToStages ?? {}));
  }

  return {
    name: 'aws (moto)',
    kind: 'secret',
    async reset() {
      const listed = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }] }));
      for (const s of listed.SecretList ?? []) {
        await sm.send(new DeleteSecretCommand({ SecretId: s.ARN, ForceDeleteWithoutRecovery: true }));
      }
    },
    async createProvider(deps) {
      return createAwsProvider(
        motoConfig({ kinds: ['secret'], secrets: { namePrefix: prefix } }),
        AWS_INSTANCE,
        {
          ...deps,
          ownerTagKeys: ['owner'],
        },
      );
    },
    async seed({ name, value, owner }) {
      const created = await sm.send(
        new CreateSecretCommand({
          Name: `${prefix}${name}`,
          SecretString: value,
          ...(owner ? { Tags: [{ Key: 'owner', Value: owner }] } : {}),
        }),
      );
      return `${AWS_INSTANCE}:secret:${created.Name}`;
    },
    async isUsable(ref, versionId) {
      const labels = (await labelsOf(ref))?.get(versionId) ?? [];
      for (const stage of labels) {
        const got = await sm.send(
          new GetSecretValueCommand({ SecretId: parseRef(ref).locator, VersionStage: stage }),
        );
        if (got.VersionId === versionId) return true;
      }
      return false;
    },
    async liveVersionCount(ref) {
      const labels = await labelsOf(ref);
      return labels ? [...labels.values()].filter((l) => l.length > 0).length : 0;
    },
    async remove(ref) {
      await sm.send(new DeleteSecretCommand({ SecretId: parseRef(ref).locator, RecoveryWindowInDays: 7 }));
    },
    async restore(ref) {
      await sm.send(new RestoreSecretCommand({ SecretId: parseRef(ref).locator }));
    },
  };
}
