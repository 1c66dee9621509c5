/**
 * The IAM 2-key limit as planned (ADR 024): which runbook shapes need make-room, which are
 * refused with a fix, and that make-room never deletes an Active key (moto).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { keyLimit, sessionDenyDocument } from '../../providers/aws/iam-limits.js';
import { createAwsProvider } from '../../providers/aws/index.js';
import { ConflictError } from '../../src/lib/errors.js';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { parseRef } from '../../src/lib/ref.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import { AWS_INSTANCE, motoClientConfig, motoConfig } from './aws.fixture.js';

const steps = (mode: string, order: 'revoke-first' | 'reissue-first' = 'revoke-first') => ({
  id: 'rb',
  generator: { type: 'provider' as const },
  steps: (order === 'revoke-first'
    ? ['make-room', 'revoke', 'reissue']
    : ['reissue', 'verify', 'revoke']
  ).map((type) => ({ type, params: type === 'revoke' ? { mode } : {} })),
});
const key = (id: string, status: 'Active' | 'Inactive') => ({ AccessKeyId: id, Status: status });

describe('keyLimit', () => {
  it('one key: within the limit, nothing to remove', () => {
    const l = keyLimit('u', [key('A1', 'Active')], 'A1', steps('deactivate'));
    expect(l).toEqual({
      name: 'iam.access-keys-per-user',
      limit: 2,
      current: 1,
      detail: 'u holds 1 of 2 access keys (A1 Active, target)',
    });
  });
  it('an Inactive other key under deactivate: make-room names it', () => {
    const l = keyLimit('u', [key('A2', 'Active'), key('I1', 'Inactive')], 'A2', steps('deactivate'));
    expect(l.makeRoom).toEqual(['I1']);
    expect(l.fix).toBeUndefined();
  });
  it('revoke mode delete before reissue frees the slot itself', () => {
    const l = keyLimit('u', [key('A2', 'Active'), key('A3', 'Active')], 'A2', steps('delete'));
    expect(l.makeRoom).toBeUndefined();
    expect(l.fix).toBeUndefined();
  });
  it('another Active key: a fix, no make-room; reissue-first counts both keys too', () => {
    expect(keyLimit('u', [key('A2', 'Active'), key('A3', 'Active')], 'A2', steps('deactivate')).fix).toMatch(
      /the other key A3 is Active/,
    );
    expect(
      keyLimit('u', [key('A2', 'Active'), key('A3', 'Active')], 'A2', steps('delete', 'reissue-first')).fix,
    ).toMatch(/A3/);
  });
  it('without the runbook (scans) it only reports', () => {
    const l = keyLimit('u', [key('A2', 'Active'), key('A3', 'Active')], 'A2', undefined);
    expect(Object.keys(l).sort()).toEqual(['current', 'detail', 'limit', 'name']);
  });
  it('the deny document is the AWS-documented statement', () => {
    expect(JSON.parse(sessionDenyDocument('2026-01-02T03:04:05Z')).Statement).toEqual([
      {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-01-02T03:04:05Z' } },
      },
    ]);
  });
});

describe('makeRoom (moto)', () => {
  it('refuses to delete a key that is Active, and deletes nothing', async () => {
    const iam = new IAMClient(motoClientConfig());
    const user = `make-room-${randomUUID().slice(0, 8)}`;
    await iam.send(new CreateUserCommand({ UserName: user }));
    const a = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey
      ?.AccessKeyId as string;
    const memory = createMemoryLogger();
    const provider = createAwsProvider(motoConfig({ kinds: ['iam-key'] }), AWS_INSTANCE, {
      logger: memory.logger,
      fingerprint: createFingerprinter(new SecretValue('aws-limits-test-key')),
      ownerTagKeys: ['owner'],
    });
    const ctx = {
      runId: 'r',
      stepId: 'make-room',
      idempotencyKey: 'r:make-room',
      fingerprint: createFingerprinter(new SecretValue('k')),
      logger: memory.logger,
      params: {},
    };
    await expect(
      provider.makeRoom?.(parseRef(`${AWS_INSTANCE}:iam-key:${user}/${a}`), [a], ctx),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata).toHaveLength(1);
  });
});
