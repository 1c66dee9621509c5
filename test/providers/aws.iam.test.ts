/**
 * IAM access keys against moto: inventory (owners, last use, admin hint), revoke, reissue
 * delivered to Secrets Manager, and the idempotency cases (repeat, lost response, crash
 * between CreateAccessKey and delivery).
 */
import { randomUUID } from 'node:crypto';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserTagsCommand,
  PutUserPolicyCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { requestToken } from '../../providers/aws/client.js';
import { PENDING_TAG, pendingTagValue } from '../../providers/aws/iam-reissue.js';
import { createAwsProvider } from '../../providers/aws/index.js';
import { ConflictError, NotFoundError } from '../../src/lib/errors.js';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { parseRef } from '../../src/lib/ref.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import type { CredentialProvider, IdentityRecord, ReissueContext } from '../../src/provider.js';
import { AWS_INSTANCE, motoClientConfig, motoConfig } from './aws.fixture.js';

const suffix = randomUUID().slice(0, 8);
const path = `/nhi-test-${suffix}/`;
const deliveryPrefix = `nhi-test-${suffix}/iam/`;
const iam = new IAMClient(motoClientConfig());
const sm = new SecretsManagerClient(motoClientConfig());
const memory = createMemoryLogger();
const fingerprint = createFingerprinter(new SecretValue('aws-iam-test-fingerprint-key'));
const ADMIN_DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});
let provider: CredentialProvider;
const handedOut: string[] = [];

function ctx(idempotencyKey: string, params: Record<string, unknown> = {}): ReissueContext {
  return {
    runId: idempotencyKey.split(':')[0] ?? '',
    stepId: idempotencyKey.split(':')[1] ?? '',
    idempotencyKey,
    fingerprint,
    logger: memory.logger,
    params,
    generator: { type: 'provider' },
  };
}

async function user(
  name: string,
  owner?: string,
): Promise<{ ref: string; user: string; keyId: string; secret: string }> {
  const userName = `${name}-${suffix}`;
  await iam.send(
    new CreateUserCommand({
      UserName: userName,
      Path: path,
      ...(owner ? { Tags: [{ Key: 'owner', Value: owner }] } : {}),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
  handedOut.push(key?.SecretAccessKey as string);
  return {
    ref: `${AWS_INSTANCE}:iam-key:${userName}/${key?.AccessKeyId}`,
    user: userName,
    keyId: key?.AccessKeyId as string,
    secret: key?.SecretAccessKey as string,
  };
}

async function keysOf(userName: string) {
  return (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
}

async function delivered(userName: string): Promise<{ AccessKeyId: string; SecretAccessKey: string }> {
  const out = await sm.send(new GetSecretValueCommand({ SecretId: `${deliveryPrefix}${userName}` }));
  const pair = JSON.parse(out.SecretString as string);
  handedOut.push(pair.SecretAccessKey);
  return pair;
}

beforeAll(() => {
  provider = createAwsProvider(
    motoConfig({ kinds: ['iam-key'], iam: { pathPrefix: path, deliveryPrefix } }),
    AWS_INSTANCE,
    { logger: memory.logger, fingerprint, ownerTagKeys: ['owner'] },
  );
});

describe('aws iam-key (moto)', () => {
  it('inventory reports owners, last use from GetAccessKeyLastUsed and the admin hint', async () => {
    const used = await user('used', 'alice, bob');
    // A request signed with the key is what moto (and IAM) records as use.
    await new SecretsManagerClient(motoClientConfig(used.keyId, used.secret)).send(
      new ListSecretsCommand({ MaxResults: 1 }),
    );
    const inline = await user('inline-admin');
    await iam.send(
      new PutUserPolicyCommand({ UserName: inline.user, PolicyName: 'all', PolicyDocument: ADMIN_DOC }),
    );
    const grouped = await user('group-admin');
    const policy = await iam.send(
      new CreatePolicyCommand({ PolicyName: `admin-${suffix}`, PolicyDocument: ADMIN_DOC }),
    );
    await iam.send(new CreateGroupCommand({ GroupName: `admins-${suffix}` }));
    await iam.send(
      new AttachGroupPolicyCommand({ GroupName: `admins-${suffix}`, PolicyArn: policy.Policy?.Arn }),
    );
    await iam.send(new AddUserToGroupCommand({ GroupName: `admins-${suffix}`, UserName: grouped.user }));

    const recs = new Map<string, IdentityRecord>();
    for await (const rec of provider.inventory()) recs.set(rec.ref, rec);
    const usedRec = recs.get(used.ref);
    expect(usedRec).toMatchObject({
      kind: 'iam-key',
      state: 'enabled',
      owners: ['alice', 'bob'],
      currentVersion: used.keyId,
    });
    expect(usedRec?.lastUsedSignal).toBe('GetAccessKeyLastUsed');
    expect(Date.parse(usedRec?.lastUsedAt ?? '')).toBeGreaterThan(Date.now() - 600_000);
    expect(usedRec?.privilegeHints).toBeUndefined();
    expect(recs.get(inline.ref)?.privilegeHints).toEqual(['iam:admin']);
    expect(recs.get(grouped.ref)?.privilegeHints).toEqual(['iam:admin']);
    expect(recs.get(inline.ref)?.lastUsedAt).toBeUndefined();

    const evidence = await provider.activitySince?.(
      parseRef(used.ref),
      new Date(Date.now() - 600_000).toISOString(),
      [],
    );
    expect(evidence?.[0]).toMatchObject({
      versionId: used.keyId,
      detail: { serviceName: 'secretsmanager', region: 'us-east-1' },
    });
  });

  it('revoke deactivates by default, reports already-revoked on repeat, and deletes in delete mode', async () => {
    const k = await user('revoke');
    const ref = parseRef(k.ref);
    expect((await provider.revoke(ref, [k.keyId], ctx('run-a:revoke')))[0]?.status).toBe('revoked');
    expect((await provider.describe(ref)).state).toBe('disabled');
    expect((await provider.revoke(ref, [k.keyId], ctx('run-a:revoke')))[0]?.status).toBe('already-revoked');
    expect((await provider.revoke(ref, [k.keyId], ctx('run-a:delete', { mode: 'delete' })))[0]?.status).toBe(
      'revoked',
    );
    await expect(provider.describe(ref)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reissue creates one key, delivers the pair to Secrets Manager and is idempotent on its key', async () => {
    const k = await user('reissue', 'carol');
    const ref = parseRef(k.ref);
    const key = `run-${randomUUID()}:reissue`;
    const issued = await provider.reissue(ref, ctx(key));
    expect(issued).toMatchObject({ status: 'issued', delivery: { location: `${deliveryPrefix}${k.user}` } });
    const pair = await delivered(k.user);
    expect(pair.AccessKeyId).toBe(issued.versionId);
    expect(issued.fingerprint).toBe(fingerprint(pair.SecretAccessKey));
    expect((await provider.verify(ref, issued)).ok).toBe(true);

    const again = await provider.reissue(ref, ctx(key));
    expect(again).toMatchObject({
      status: 'already-issued',
      versionId: issued.versionId,
      fingerprint: issued.fingerprint,
    });
    expect((await keysOf(k.user)).map((x) => x.AccessKeyId).sort()).toEqual(
      [k.keyId, issued.versionId].sort(),
    );
    const tags = (await iam.send(new ListUserTagsCommand({ UserName: k.user }))).Tags ?? [];
    expect(tags.map((t) => t.Key)).not.toContain(PENDING_TAG);
    // A user at the IAM limit of two keys is refused before anything is created.
    await expect(provider.reissue(ref, ctx(`run-${randomUUID()}:reissue`))).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await keysOf(k.user)).toHaveLength(2);
  });

  it('a lost delivery response is found by its derived token: reissue reports already-issued and creates no key', async () => {
    const k = await user('lost');
    const key = `run-${randomUUID()}:reissue`;
    const landed = (await iam.send(new CreateAccessKeyCommand({ UserName: k.user }))).AccessKey;
    handedOut.push(landed?.SecretAccessKey as string);
    await sm.send(
      new CreateSecretCommand({
        Name: `${deliveryPrefix}${k.user}`,
        ClientRequestToken: requestToken('reissue', key),
        SecretString: JSON.stringify({
          AccessKeyId: landed?.AccessKeyId,
          SecretAccessKey: landed?.SecretAccessKey,
        }),
      }),
    );
    const again = await provider.reissue(parseRef(k.ref), ctx(key));
    expect(again).toMatchObject({ status: 'already-issued', versionId: landed?.AccessKeyId });
    expect(again.fingerprint).toBe(fingerprint(landed?.SecretAccessKey as string));
    expect(await keysOf(k.user)).toHaveLength(2);
  });

  it('on resume after a crash between CreateAccessKey and delivery, the undelivered key is removed and one new key delivered', async () => {
    const k = await user('crash');
    const key = `run-${randomUUID()}:reissue`;
    await iam.send(
      new TagUserCommand({
        UserName: k.user,
        Tags: [{ Key: PENDING_TAG, Value: pendingTagValue(key, [k.keyId]) }],
      }),
    );
    const orphan = (await iam.send(new CreateAccessKeyCommand({ UserName: k.user }))).AccessKey;
    handedOut.push(orphan?.SecretAccessKey as string);

    const issued = await provider.reissue(parseRef(k.ref), ctx(key));
    expect(issued.status).toBe('issued');
    expect(issued.versionId).not.toBe(orphan?.AccessKeyId);
    const ids = (await keysOf(k.user)).map((x) => x.AccessKeyId);
    expect(ids.sort()).toEqual([k.keyId, issued.versionId].sort());
    expect((await delivered(k.user)).AccessKeyId).toBe(issued.versionId);
  });

  it('never writes a secret access key into logs', () => {
    const lines = memory.lines();
    for (const secret of handedOut) expect(lines).not.toContain(secret);
  });
});
