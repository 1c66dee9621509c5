/**
 * ADR 051 on the real AWS adapter and moto, through the CLI: an IAM access key used after its
 * recorded revocation raises a critical revoked-still-used finding; deleting the key does not
 * resolve it; `nhi findings ack` (signed: policy.requireSignedActors) closes it, audited, and
 * `nhi audit verify` cross-checks the acknowledgment (a forged one fails verification).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { findingId } from '../../src/scan/findings.js';
import type { LineageRecord } from '../../src/store/types.js';
import { MOTO_ENDPOINT, MOTO_REGION } from '../servers/endpoints.js';
import { CANARY, testApp, testConfig } from './helpers.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const suffix = randomUUID().slice(0, 8);
const path = `/nhi-incident-${suffix}/`;
const ADMIN = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const client = (credentials = ADMIN) => ({
  region: MOTO_REGION,
  endpoint: MOTO_ENDPOINT,
  credentials,
  maxAttempts: 1,
});
const iam = new IAMClient(client());
afterAll(() => iam.destroy());

function cli(configPath: string, env: NodeJS.ProcessEnv, args: string[]) {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    ({
      write: (s: string) => {
        add(s);
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  const io = { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env };
  return runCli(['--config', configPath, ...args], io).then((code) => ({ code, stdout, stderr }));
}

describe('revoked-still-used on moto (real AWS adapter, CLI)', () => {
  it('stays open after the key is deleted; a signed ack closes it and audit verify cross-checks it', async () => {
    const alice = generateKeyPairSync('ed25519');
    const { config, env, dir } = testConfig({ extra: { policy: { requireSignedActors: true } } });
    const raw = JSON.parse(
      JSON.stringify({
        ...config,
        sourcePath: undefined,
        baseDir: undefined,
        warnings: undefined,
        fromEnv: undefined,
      }),
    );
    raw.keys = { fingerprint: 'env:NHI_FP_KEY', auditSigning: 'env:NHI_AUDIT_KEY' };
    raw.owners.principals.alice = {
      publicKey: alice.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
    raw.providers = {
      moto: {
        type: 'aws',
        region: MOTO_REGION,
        endpoint: MOTO_ENDPOINT,
        credentials: {
          method: 'static',
          accessKeyId: ADMIN.accessKeyId,
          secretAccessKey: 'env:NHI_AWS_SECRET',
        },
        kinds: ['iam-key'],
        iam: { pathPrefix: path, deliveryPrefix: `nhi-incident-${suffix}/iam/` },
      },
    };
    const configPath = join(dir, 'nhi.config.json');
    writeFileSync(configPath, JSON.stringify(raw));
    const keyFile = join(dir, 'alice.key');
    writeFileSync(keyFile, alice.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
      mode: 0o600,
    });
    const runEnv = { ...env, NHI_AWS_SECRET: ADMIN.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' };

    // The leaked key: "revoked" by a recovery a minute ago (lineage, audited as the executor does)...
    const userName = `svc-${suffix}`;
    await iam.send(
      new CreateUserCommand({ UserName: userName, Path: path, Tags: [{ Key: 'owner', Value: 'alice' }] }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
    const keyId = key?.AccessKeyId as string;
    const ref = `moto:iam-key:${userName}/${keyId}`;
    const revokedAt = new Date(Date.now() - 60_000).toISOString();
    const app = testApp({ providers: [], config });
    const lineage: LineageRecord = {
      id: `lin_${suffix}`,
      ref,
      runId: 'run_1',
      requestId: 'req_1',
      reason: 'leaked',
      requester: 'alice',
      approvers: ['bob'],
      executor: 'bob',
      oldVersions: [{ versionId: keyId, revokedAt }],
      newVersion: { versionId: 'AKIANEW', fingerprint: 'hmac-sha256:00', issuedAt: revokedAt },
      proofRef: 'audit:1',
      breakGlass: false,
      createdAt: revokedAt,
    };
    await app.store.transaction(async (tx) => {
      await tx.lineage.insert(lineage);
      await app.audit.record(tx.audit, {
        type: 'lineage.recorded',
        actor: 'bob',
        subject: ref,
        data: { ...lineage },
      });
    });
    await app.close();
    // ...and then used: moto records it as GetAccessKeyLastUsed.
    const sm = new SecretsManagerClient(
      client({ accessKeyId: keyId, secretAccessKey: key?.SecretAccessKey as string }),
    );
    await sm.send(new ListSecretsCommand({ MaxResults: 1 }));
    sm.destroy();

    const id = findingId('revoked-still-used', ref);
    const finding = async () => {
      const out = await cli(configPath, runEnv, ['--json', 'findings', '--type', 'revoked-still-used']);
      return JSON.parse(out.stdout).findings.find((f: { id: string }) => f.id === id);
    };
    const first = await cli(configPath, runEnv, ['scan', '--format', 'json', '--out', join(dir, 'r1.json')]);
    expect(first.stderr).toMatch(/completed/);
    expect(await finding()).toMatchObject({ status: 'open', severity: 'critical' });

    // Deleting the key erases its last-used record and the identity: the incident stays open.
    await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: keyId }));
    await cli(configPath, runEnv, ['scan', '--format', 'json', '--out', join(dir, 'r2.json')]);
    expect(await finding()).toMatchObject({ status: 'open', severity: 'critical' });

    // Unsigned while signed actors are required: refused (exit 3) and audited.
    const unsigned = await cli(configPath, runEnv, [
      'findings',
      'ack',
      id,
      '--as',
      'alice',
      '--reason',
      'INC-42',
    ]);
    expect(unsigned.code).toBe(3);
    expect(unsigned.stderr).toMatch(/requireSignedActors/);
    const acked = await cli(configPath, runEnv, [
      'findings',
      'ack',
      id,
      '--as',
      'alice',
      '--reason',
      'INC-42: runner rebuilt',
      '--key',
      keyFile,
    ]);
    expect(acked.code).toBe(0);
    expect(acked.stdout).toMatch(/acknowledged by alice \(signed\) at .*: INC-42: runner rebuilt/);
    expect(await finding()).toMatchObject({
      status: 'acknowledged',
      acks: [{ by: 'alice', reason: 'INC-42: runner rebuilt' }],
    });

    const status = await cli(configPath, runEnv, ['status']);
    expect(status.stdout).toMatch(/Incident findings/);
    expect(status.stdout).toMatch(/acknowledged by alice \(signed\)/);
    await cli(configPath, runEnv, ['scan', '--format', 'json', '--out', join(dir, 'r3.json')]);
    const report = JSON.parse(readFileSync(join(dir, 'r3.json'), 'utf8'));
    expect(report.schemaVersion).toBe(2);
    expect(report.findings.find((f: { id: string }) => f.id === id)).toMatchObject({
      status: 'acknowledged',
      acknowledged: { by: 'alice', reason: 'INC-42: runner rebuilt', signed: true },
    });

    const verify = await cli(configPath, runEnv, ['audit', 'verify']);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/1 acknowledgment row\(s\) cross-checked/);

    // A row edited to claim a second acknowledgment that no audit entry records.
    const tamper = testApp({ providers: [], config });
    const row = await tamper.store.findings.get(id);
    await tamper.store.findings.upsert({
      ...(row as NonNullable<typeof row>),
      acks: [...(row?.acks ?? []), { by: 'bob', at: new Date().toISOString(), reason: 'forged' }],
    });
    await tamper.close();
    const bad = await cli(configPath, runEnv, ['audit', 'verify']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/ack fnd_[0-9a-f]+@.*: no finding.acknowledged entry records it/);
    for (const out of [first, acked, status, verify, bad])
      expect(out.stdout + out.stderr).not.toContain(CANARY);
  });
});
