/**
 * AWS adapter behaviours beyond the shared contract, for Secrets Manager: revoke with a
 * tombstone, both runbook orders, lost responses, and hostile data through the narrow
 * client shape. IAM access keys are in aws.iam.test.ts.
 */
import { randomUUID } from 'node:crypto';
import type { IAMClient } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { requestToken } from '../../providers/aws/client.js';
import { createAwsProvider, type IamLike, type SecretsManagerLike } from '../../providers/aws/index.js';
import { ProviderError } from '../../src/lib/errors.js';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { parseRef } from '../../src/lib/ref.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import type { CredentialProvider, IdentityRecord, ReissueContext } from '../../src/provider.js';
import { drain, fakeSecretsManager, fakeProvider as fakeWith } from './aws.fake.js';
import { AWS_INSTANCE, motoClientConfig, motoConfig } from './aws.fixture.js';

const memory = createMemoryLogger();
const fingerprint = createFingerprinter(new SecretValue('aws-test-fingerprint-key'));
const prefix = `nhi-aws-test-${randomUUID().slice(0, 8)}/`;
const sm = new SecretsManagerClient(motoClientConfig());
const deps = { logger: memory.logger, fingerprint, ownerTagKeys: ['owner', 'team'] };
let provider: CredentialProvider;

function ctx(idempotencyKey: string, params: Record<string, unknown> = {}): ReissueContext {
  const [runId = '', stepId = ''] = idempotencyKey.split(':');
  return {
    runId,
    stepId,
    idempotencyKey,
    fingerprint,
    logger: memory.logger,
    params,
    generator: { type: 'password', length: 40, symbols: false },
  };
}

async function seed(name: string, value: string): Promise<{ ref: string; versionId: string }> {
  const out = await sm.send(new CreateSecretCommand({ Name: `${prefix}${name}`, SecretString: value }));
  return { ref: `${AWS_INSTANCE}:secret:${out.Name}`, versionId: out.VersionId as string };
}

async function stages(ref: string): Promise<Record<string, string[]>> {
  return (
    (await sm.send(new DescribeSecretCommand({ SecretId: parseRef(ref).locator }))).VersionIdsToStages ?? {}
  );
}

async function currentValue(ref: string): Promise<string | undefined> {
  return (await sm.send(new GetSecretValueCommand({ SecretId: parseRef(ref).locator }))).SecretString;
}

const live = (s: Record<string, string[]>) => Object.values(s).filter((l) => l.length > 0).length;

beforeAll(() => {
  provider = createAwsProvider(
    motoConfig({ kinds: ['secret'], secrets: { namePrefix: prefix } }),
    AWS_INSTANCE,
    deps,
  );
});

describe('aws secret revoke and reissue (moto)', () => {
  it('revoke moves AWSCURRENT to a tombstone nobody receives, then reissue leaves exactly one live version', async () => {
    const old = 'old-secret-value-0123456789';
    const { ref, versionId } = await seed(`rtr-${randomUUID()}`, old);
    const parsed = parseRef(ref);
    const key = `run-${randomUUID()}:revoke`;

    const [revoked] = await provider.revoke(parsed, [versionId], ctx(key));
    expect(revoked?.status).toBe('revoked');
    const afterRevoke = await stages(ref);
    expect(afterRevoke[versionId] ?? []).toEqual([]);
    const tombstone = Object.entries(afterRevoke).find(([, l]) => l.includes('NHI_TOMBSTONE'));
    expect(tombstone?.[1]).toContain('AWSCURRENT');
    expect(await currentValue(ref)).not.toBe(old);
    // A retried revoke step neither writes a second tombstone nor reports a new revocation.
    expect((await provider.revoke(parsed, [versionId], ctx(key)))[0]?.status).toBe('already-revoked');
    expect(Object.keys(await stages(ref))).toHaveLength(2);

    const issued = await provider.reissue(parsed, ctx(`${key.split(':')[0]}:reissue`));
    const afterReissue = await stages(ref);
    expect(afterReissue[issued.versionId]).toEqual(['AWSCURRENT']);
    expect(afterReissue[tombstone?.[0] as string]).toEqual([]);
    expect(live(afterReissue)).toBe(1);
    expect(fingerprint((await currentValue(ref)) as string)).toBe(issued.fingerprint);
    expect((await provider.verify(parsed, issued)).ok).toBe(true);
    const described = await provider.describe(parsed);
    expect(described.currentVersion).toBe(issued.versionId);
    expect(described.versions.find((v) => v.id === versionId)?.state).toBe('disabled');
  });

  it('reissue-then-revoke stages the new value as NHI_PENDING until promote', async () => {
    const { ref, versionId } = await seed(`rtr2-${randomUUID()}`, 'still-serving-0123456789');
    const parsed = parseRef(ref);
    const runId = `run-${randomUUID()}`;
    const issued = await provider.reissue(parsed, ctx(`${runId}:reissue`, { stage: 'pending' }));
    expect((await stages(ref))[issued.versionId]).toEqual(['NHI_PENDING']);
    expect(await currentValue(ref)).toBe('still-serving-0123456789');
    expect((await provider.verify(parsed, issued)).ok).toBe(true);

    await provider.promote?.(parsed, issued, ctx(`${runId}:promote`));
    await provider.promote?.(parsed, issued, ctx(`${runId}:promote`));
    expect((await stages(ref))[issued.versionId]).toEqual(['AWSCURRENT']);
    await provider.revoke(parsed, [versionId], ctx(`${runId}:revoke`));
    const after = await stages(ref);
    expect(after[versionId] ?? []).toEqual([]);
    expect(live(after)).toBe(1);
  });

  it('discard of an unpromoted version leaves the old value serving and the new one unlabelled', async () => {
    const { ref, versionId } = await seed(`discard-${randomUUID()}`, 'keeps-serving-0123456789');
    const parsed = parseRef(ref);
    const runId = `run-${randomUUID()}`;
    const issued = await provider.reissue(parsed, ctx(`${runId}:reissue`, { stage: 'pending' }));
    await provider.discard?.(parsed, issued, ctx(`${runId}:discard`));
    const after = await stages(ref);
    expect(after[issued.versionId] ?? []).toEqual([]);
    expect(after[versionId]).toEqual(['AWSCURRENT']);
    expect((await provider.verify(parsed, issued)).ok).toBe(false);
  });

  it('a lost PutSecretValue response is recognised by its derived token: reissue reports already-issued', async () => {
    const { ref } = await seed(`lost-${randomUUID()}`, 'before-loss-0123456789');
    const parsed = parseRef(ref);
    const key = `run-${randomUUID()}:reissue`;
    const token = requestToken('reissue', key);
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The write that "took effect but whose response never arrived".
    await sm.send(
      new PutSecretValueCommand({
        SecretId: parsed.locator,
        ClientRequestToken: token,
        SecretString: 'landed-0123456789',
      }),
    );
    const again = await provider.reissue(parsed, ctx(key));
    expect(again).toMatchObject({
      status: 'already-issued',
      versionId: token,
      fingerprint: fingerprint('landed-0123456789'),
    });
    expect(Object.keys(await stages(ref))).toHaveLength(2);
  });

  it('activitySince reports per-version LastAccessedDate at day precision', async () => {
    const { ref, versionId } = await seed(`activity-${randomUUID()}`, 'activity-value-0123456789');
    await sm.send(new GetSecretValueCommand({ SecretId: parsed(ref), VersionId: versionId }));
    const day = 86_400_000;
    const yesterday = new Date(Date.now() - day).toISOString();
    const evidence = await provider.activitySince?.(parseRef(ref), yesterday, [versionId]);
    expect(evidence).toEqual([
      expect.objectContaining({ versionId, signal: 'LastAccessedDate', confidence: 'day' }),
    ]);
    const tomorrow = new Date(Date.now() + day).toISOString();
    expect(await provider.activitySince?.(parseRef(ref), tomorrow, [versionId])).toEqual([]);
  });

  it('lists versions newest first with labels and never reads values during a scan', async () => {
    const { ref } = await seed(`scan-${randomUUID()}`, 'scan-value-0123456789');
    await sm.send(
      new PutSecretValueCommand({ SecretId: parsed(ref), SecretString: 'scan-value-2-0123456789' }),
    );
    const seen: IdentityRecord[] = [];
    for await (const rec of provider.inventory()) seen.push(rec);
    const rec = seen.find((r) => r.ref === ref);
    expect(rec?.versions.map((v) => v.labels)).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
    expect(rec).toMatchObject({
      lastUsedSignal: 'LastAccessedDate',
      lastUsedConfidence: 'day',
      state: 'enabled',
    });
    expect(rec?.fingerprint).toBeUndefined();
    expect(memory.lines()).not.toContain('scan-value');
  });
});

function parsed(ref: string): string {
  return parseRef(ref).locator;
}

const fakeProvider = (client: SecretsManagerLike, logger = memory.logger) => fakeWith(client, deps, logger);

describe('aws hostile data (fake client through the narrow shape)', () => {
  it('the SDK clients fit the narrow shapes', () => {
    expectTypeOf<SecretsManagerClient>().toExtend<SecretsManagerLike>();
    expectTypeOf<IAMClient>().toExtend<IamLike>();
  });

  it('an empty page whose NextToken repeats forever ends the listing with an error', async () => {
    const fake = fakeSecretsManager({ ListSecrets: () => ({ SecretList: [], NextToken: 'again' }) });
    await expect(drain(fakeProvider(fake.client))).rejects.toThrow(ProviderError);
    expect(fake.calls.length).toBeLessThanOrEqual(3);
  });

  it('endless empty pages with fresh tokens stop after a bounded number of pages', async () => {
    let n = 0;
    const fake = fakeSecretsManager({ ListSecrets: () => ({ SecretList: [], NextToken: `t${n++}` }) });
    await expect(drain(fakeProvider(fake.client))).rejects.toThrow(/empty pages/);
    expect(fake.calls.length).toBeLessThanOrEqual(101);
  });

  it('skips names with control characters and logs them JSON-escaped', async () => {
    const mem = createMemoryLogger();
    const evil = 'evil\n{"level":"fatal"}\u001b[31m';
    const fake = fakeSecretsManager({
      ListSecrets: () => ({
        SecretList: [
          {
            Name: 'fine/one',
            ARN: 'arn:fine',
            CreatedDate: 'junk',
            SecretVersionsToStages: { v1: ['AWSCURRENT'] },
          },
          { Name: evil, ARN: 'arn:evil', SecretVersionsToStages: { v2: ['AWSCURRENT'] } },
          { Name: 42 },
        ],
      }),
    });
    const recs = await drain(fakeProvider(fake.client, mem.logger));
    expect(recs.map((r) => r.ref)).toEqual(['aws-fake:secret:fine/one']);
    expect(recs[0]?.createdAt).toBeUndefined();
    expect(mem.lines()).not.toContain('\u001b');
    expect(mem.lines()).toContain('skipped an identity with an unusable name');
  });

  it('retries throttling and maps errors without the service message', async () => {
    let attempts = 0;
    const fake = fakeSecretsManager({
      DescribeSecret: () => {
        attempts++;
        if (attempts === 1) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
        throw Object.assign(new Error('value was hunter2'), {
          name: 'AccessDeniedException',
          $metadata: { httpStatusCode: 400 },
        });
      },
    });
    const err = await fakeProvider(fake.client)
      .describe(parseRef('aws-fake:secret:x'))
      .catch((e: unknown) => e);
    expect(attempts).toBe(2);
    expect(err).toBeInstanceOf(ProviderError);
    expect(String((err as Error).message)).toContain('AccessDeniedException');
    expect(String((err as Error).message)).not.toContain('hunter2');
  });
});
