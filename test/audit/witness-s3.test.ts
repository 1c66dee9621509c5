/**
 * Issue 10: the S3 witness against the local moto server — one Object-Locked object per signed
 * checkpoint, read back (every version) by `nhi audit verify --witness s3://BUCKET/PREFIX`, which
 * fails on truncation and on a fork re-signed with the audit key.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { motoClientConfig } from '../providers/aws.fixture.js';
import { localConfig, ROOT, scratchDir } from '../runbook/local-app.js';
import { nhi, rewriteChain, sql, truncateAfter } from './tamper.js';

const s3 = new S3Client({ ...motoClientConfig(), forcePathStyle: true });
const bucket = `nhi-witness-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
});

function scenario(name: string) {
  const scratch = scratchDir(`nhi-witness-s3-${name}-`);
  const prefix = `audit/${name}`;
  const config = localConfig(
    scratch.dir,
    name,
    { 'aws-test': 'aws-local' },
    {
      audit: { witnesses: [{ type: 's3', name: 'locked', bucket, prefix, aws: 'aws-test', retainDays: 2 }] },
    },
  );
  return { config, db: join(scratch.dir, `${name}.db`), prefix };
}

/**
 * Mandatory checkpoint points through the app, each in its own transaction as the writers do.
 * Scan ends and refusals: decisions and run ends would need their store rows and signatures,
 * which `audit verify` cross-checks (test/audit/witness-file.cli.test.ts runs real recoveries).
 */
async function writeHistory(config: string, types: string[]): Promise<void> {
  const app = await createApp({ configPath: config, env: {} });
  try {
    for (const [i, type] of types.entries())
      await app.store.transaction((tx) =>
        app.audit.record(tx.audit, { type, actor: 'alice', subject: `req-${i}`, data: { i } }),
      );
  } finally {
    await app.close();
  }
}

async function objectsUnder(prefix: string) {
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `${prefix}/` }));
  return listed.Versions ?? [];
}

describe('S3 witness (moto, Object Lock)', () => {
  it('puts one COMPLIANCE-locked object per checkpoint, keyed by zero-padded seq', async () => {
    const s = scenario('put');
    await writeHistory(s.config, ['x', 'scan.completed', 'y', 'approval.refused']);
    const versions = await objectsUnder(s.prefix);
    expect(versions.map((v) => v.Key)).toEqual([
      `${s.prefix}/000000000002.json`,
      `${s.prefix}/000000000004.json`,
    ]);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${s.prefix}/000000000004.json` }));
    expect(got.ObjectLockMode).toBe('COMPLIANCE');
    const retainDays = ((got.ObjectLockRetainUntilDate?.getTime() ?? 0) - Date.now()) / 86_400_000;
    expect(retainDays).toBeGreaterThan(1.9);
    expect(retainDays).toBeLessThan(2.1);
    const body = JSON.parse((await got.Body?.transformToString()) ?? '{}');
    const [cp] = sql<{ hash: string; signature: string }>(
      s.db,
      'SELECT * FROM audit_checkpoints WHERE seq = 4',
    );
    expect(body).toMatchObject({
      kind: 'nhi-audit-checkpoint',
      seq: 4,
      hash: cp?.hash,
      signature: cp?.signature,
    });
    // Object Lock holds: the locked version cannot be deleted.
    await expect(
      s3.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: versions[0]?.Key, VersionId: versions[0]?.VersionId }),
      ),
    ).rejects.toThrow();

    const ok = await nhi(s.config, 'audit', 'verify', '--witness', `s3://${bucket}/${s.prefix}`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(
      `witness s3://${bucket}/${s.prefix}: the store extends it (2 checkpoint(s), newest seq 4)`,
    );
    const explicit = await nhi(
      s.config,
      '--json',
      'audit',
      'verify',
      '--witness',
      `s3://${bucket}/${s.prefix}?aws=aws-test`,
    );
    expect(JSON.parse(explicit.stdout)).toMatchObject({ ok: true, witnesses: [{ ok: true, records: 2 }] });
  });

  it('fails on truncation: the store rolled back below the newest witnessed checkpoint', async () => {
    const s = scenario('truncate');
    await writeHistory(s.config, ['scan.completed', 'x', 'scan.interrupted', 'y', 'resume.refused']);
    truncateAfter(s.db, 3);
    expect((await nhi(s.config, 'audit', 'verify')).code).toBe(0);
    const bad = await nhi(s.config, '--json', 'audit', 'verify', '--witness', 'locked');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      witnesses: [{ ok: false, problem: { kind: 'truncated', seq: 5 }, newestWitnessedSeq: 5 }],
    });
  });

  it('fails on a fork re-signed with the audit key, even after the forked checkpoints reach the bucket', async () => {
    const s = scenario('fork');
    await writeHistory(s.config, ['scan.completed', 'x', 'scan.failed']);
    const auditKey = createPrivateKey(readFileSync(join(ROOT, 'examples/keys/audit.key'), 'utf8'));
    rewriteChain(s.db, (row) => (row.seq === 1 ? { ...row, actor: 'mallory' } : row), auditKey);
    // The forger resets the delivery cursor so the next command publishes the forged checkpoints too.
    sql(s.db, 'DELETE FROM audit_witnesses');
    await writeHistory(s.config, ['scan.completed']);
    expect((await objectsUnder(s.prefix)).length).toBeGreaterThan(2);
    expect((await nhi(s.config, 'audit', 'verify')).code).toBe(0);
    const bad = await nhi(s.config, 'audit', 'verify', '--witness', `s3://${bucket}/${s.prefix}`);
    expect(bad.code).toBe(1);
    // The bucket still holds the checkpoints of the history that was replaced (Object Lock).
    expect(bad.stderr).toMatch(
      /forked: fork: the store's checkpoint at seq 1 is validly signed over a different history/,
    );
  });
});
