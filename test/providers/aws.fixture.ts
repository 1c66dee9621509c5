/**
 * AWS fixtures for the provider contract and the crash matrix: seed and inspect Secrets
 * Manager secrets (createAwsFixture) and IAM access keys (createAwsIamKeyFixture) on the
 * local moto server with the SDK directly, never through the adapter.
 *
 * No POST /moto-api/reset here: vitest runs test files in parallel and moto is shared with
 * other suites, so a global wipe would pull state from under them. Every name carries a
 * per-suite prefix instead, and the provider under test only lists that prefix.
 */
import { randomUUID } from 'node:crypto';
import {
  type AccessKeyMetadata,
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PENDING_TAG } from '../../providers/aws/iam-reissue.js';
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

export interface IamKeyFixtureOptions {
  /**
   * Seed the user with an already-Inactive key besides the Active target, so the user is at
   * IAM's 2-key limit and a recovery plan has `make-room` delete the Inactive one first.
   */
  spareInactiveKey?: boolean;
}

/**
 * IAM access keys (kind `iam-key`): one user per seed, under a per-fixture IAM path, tagged
 * with the owner; the ref names the user's Active key. The reissued key pair is delivered
 * into Secrets Manager under the configured delivery prefix (the schema default here, as in
 * test/servers/local.config.json's aws-local block).
 */
export function createAwsIamKeyFixture(opts: IamKeyFixtureOptions = {}): ProviderFixture {
  const suite = `nhi-contract-${randomUUID().slice(0, 8)}`;
  const path = `/${suite}/`;
  const deliveryPrefix = motoConfig().iam.deliveryPrefix;
  const iam = new IAMClient(motoClientConfig());
  const sm = new SecretsManagerClient(motoClientConfig());
  const keyOf = (ref: string) => {
    const locator = parseRef(ref).locator;
    const slash = locator.lastIndexOf('/');
    return { user: locator.slice(0, slash), keyId: locator.slice(slash + 1) };
  };

  async function keysOf(user: string): Promise<AccessKeyMetadata[]> {
    try {
      return (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchEntityException') return [];
      throw error;
    }
  }

  async function newKey(user: string): Promise<string> {
    return (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey?.AccessKeyId as string;
  }

  /** The access key id the delivery secret serves (AWSCURRENT), if there is one. */
  async function deliveredKey(user: string): Promise<string | undefined> {
    try {
      const got = await sm.send(new GetSecretValueCommand({ SecretId: `${deliveryPrefix}${user}` }));
      return (JSON.parse(got.SecretString ?? '{}') as { AccessKeyId?: string }).AccessKeyId;
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  return {
    name: 'aws iam-key (moto)',
    kind: 'iam-key',
    async reset() {
      const users = (await iam.send(new ListUsersCommand({ PathPrefix: path }))).Users ?? [];
      for (const { UserName: user } of users) {
        if (!user) continue;
        for (const k of await keysOf(user))
          await iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: k.AccessKeyId }));
        const policies = (await iam.send(new ListUserPoliciesCommand({ UserName: user }))).PolicyNames ?? [];
        for (const name of policies)
          await iam.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: name }));
        await sm
          .send(
            new DeleteSecretCommand({
              SecretId: `${deliveryPrefix}${user}`,
              ForceDeleteWithoutRecovery: true,
            }),
          )
          .catch(() => undefined);
        await iam.send(new DeleteUserCommand({ UserName: user }));
      }
    },
    async createProvider(deps) {
      return createAwsProvider(motoConfig({ kinds: ['iam-key'], iam: { pathPrefix: path } }), AWS_INSTANCE, {
        ...deps,
        ownerTagKeys: ['owner'],
      });
    },
    /** IAM mints the key's secret itself: `value` is not used. */
    async seed({ name, owner }) {
      const user = `${suite}-${name}`.slice(0, 64);
      await iam.send(
        new CreateUserCommand({
          UserName: user,
          Path: path,
          ...(owner ? { Tags: [{ Key: 'owner', Value: owner }] } : {}),
        }),
      );
      if (opts.spareInactiveKey) {
        const spare = await newKey(user);
        await iam.send(
          new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: spare, Status: 'Inactive' }),
        );
      }
      return `${AWS_INSTANCE}:iam-key:${user}/${await newKey(user)}`;
    },
    async isUsable(ref, versionId) {
      const { user } = keyOf(ref);
      return (await keysOf(user)).some((k) => k.AccessKeyId === versionId && k.Status === 'Active');
    },
    /** Active keys of the ref's user: each one authenticates. */
    async liveVersionCount(ref) {
      return (await keysOf(keyOf(ref).user)).filter((k) => k.Status === 'Active').length;
    },
    /**
     * After a recovery the user holds exactly the revoked target key and the delivered one:
     * no pending-issue tag, no key that nobody received (or that make-room should have deleted).
     */
    async leftovers(ref) {
      const { user, keyId } = keyOf(ref);
      const out: string[] = [];
      const tags = (await iam.send(new ListUserTagsCommand({ UserName: user }))).Tags ?? [];
      const pending = tags.find((t) => t.Key === PENDING_TAG);
      if (pending) out.push(`tag ${PENDING_TAG}=${pending.Value} is still on user ${user}`);
      const delivered = await deliveredKey(user);
      if (!delivered) out.push(`delivery secret ${deliveryPrefix}${user} serves no key`);
      for (const k of await keysOf(user)) {
        if (k.AccessKeyId === keyId || k.AccessKeyId === delivered) continue;
        out.push(`key ${k.AccessKeyId} (${k.Status}) is neither the recovered key nor the delivered one`);
      }
      return out;
    },
  };
}
