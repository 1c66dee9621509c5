/**
 * Every shipped runbook, end to end against the real local servers: request, owner
 * approval through the approval module, run, lineage, audit verification.
 */
import { randomUUID } from 'node:crypto';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { auditClaimCheckers } from '../../src/approval/signing/audit-claims.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { parseRef } from '../../src/lib/ref.js';
import { startRun } from '../../src/runbook/runs.js';
import { createAwsFixture, motoClientConfig } from '../providers/aws.fixture.js';
import { createAzureFixture } from '../providers/azure.fixture.js';
import { vaultApi, vaultFixture } from '../providers/vault.fixture.js';
import { approvedRequest, localConfig, scratchDir } from './local-app.js';

const suffix = randomUUID().slice(0, 8);
const aws = createAwsFixture();
const azure = createAzureFixture();

/** Seeds one target for a runbook and returns its ref. */
const seeds: Record<string, () => Promise<string>> = {
  'vault-kv-recovery': () => vaultFixture.seed({ name: `e2e-kv-${suffix}`, value: 'old-kv', owner: 'alice' }),
  'vault-approle-recovery': async () => {
    await vaultApi('POST', 'sys/auth/approle', { type: 'approle' });
    const role = `e2e-role-${suffix}`;
    await vaultApi('POST', `auth/approle/role/${role}`, { token_policies: ['default'] });
    await vaultApi('POST', `auth/approle/role/${role}/secret-id`, {
      metadata: JSON.stringify({ owner: 'alice' }),
    });
    return `vault-e2e:approle:${role}`;
  },
  'vault-token-recovery': async () => {
    const res = await vaultApi('POST', 'auth/token/create-orphan', {
      policies: ['default'],
      meta: { owner: 'alice' },
      ttl: '2h',
    });
    return `vault-e2e:token:${(res.body.auth as { accessor: string }).accessor}`;
  },
  'aws-secret-recovery': () => aws.seed({ name: `e2e-rec-${suffix}`, value: 'old-aws', owner: 'alice' }),
  'aws-secret-rotation': () => aws.seed({ name: `e2e-rot-${suffix}`, value: 'old-aws-rot', owner: 'alice' }),
  'aws-iam-key-recovery': async () => {
    const iam = new IAMClient(motoClientConfig());
    const user = `e2e-user-${suffix}`;
    await iam.send(new CreateUserCommand({ UserName: user, Tags: [{ Key: 'owner', Value: 'alice' }] }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: user }));
    return `aws-e2e:iam-key:${user}/${key.AccessKey?.AccessKeyId}`;
  },
  'azure-secret-recovery': () => azure.seed({ name: `e2e-rec-${suffix}`, value: 'old-az', owner: 'alice' }),
  'azure-secret-rotation': () =>
    azure.seed({ name: `e2e-rot-${suffix}`, value: 'old-az-rot', owner: 'alice' }),
};

let app: App;
let aliceKey: string;

beforeAll(async () => {
  await aws.reset();
  await azure.reset();
  const scratch = scratchDir('nhi-e2e-');
  aliceKey = scratch.key('alice');
  const configPath = localConfig(scratch.dir, 'e2e', {
    'vault-test': 'vault-local',
    'vault-e2e': 'vault-local',
    'aws-test': 'aws-local',
    'aws-e2e': 'aws-local',
    'azure-test': 'azure-local',
  });
  app = await createApp({ configPath });
});

afterAll(async () => {
  await app?.close();
});

describe('shipped runbooks against the local servers', () => {
  it.each(Object.keys(seeds))('%s: approved request runs to completion with lineage', async (runbook) => {
    const ref = await (seeds[runbook] as () => Promise<string>)();
    const requestId = await approvedRequest(app, ref, runbook, { alice: aliceKey });
    const request = await app.store.requests.get(requestId);
    const planned = (
      (request as { plan: unknown }).plan as { revoke: { versions: { versionId: string }[] } }
    ).revoke.versions.map((v) => v.versionId);
    expect(planned.length).toBeGreaterThan(0);
    const run = await startRun(app.engine(), { requestId, executor: 'carol' });
    expect(run.status, run.error).toBe('completed');
    const lineage = await app.store.lineage.forRef(ref);
    expect(lineage).toHaveLength(1);
    expect(lineage[0]?.newVersion?.fingerprint).toMatch(/^hmac-sha256:/);
    expect(lineage[0]?.oldVersions.map((v) => v.versionId).sort()).toEqual([...planned].sort());
    const parsed = parseRef(ref);
    const provider = await app.provider(parsed.instance);
    const newVersion = lineage[0]?.newVersion?.versionId as string;
    if (parsed.kind === 'token' || parsed.kind === 'iam-key') {
      // These refs name one credential (a token accessor, an access key): the new one is a new
      // identity, linked to the old by the lineage record; the old one is gone or inactive.
      const successor =
        parsed.kind === 'token' ? newVersion : `${parsed.locator.split('/')[0]}/${newVersion}`;
      const next = await provider.describe({ ...parsed, locator: successor });
      expect(next.state).toBe('enabled');
      const old = await provider.describe(parsed).catch((e: Error) => e);
      if (!(old instanceof Error)) expect(old.versions.filter((v) => v.state === 'enabled')).toHaveLength(0);
    } else {
      const after = await provider.describe(parsed);
      const live = after.versions.filter((v) => v.state === 'enabled').map((v) => v.id);
      for (const old of planned) expect(live).not.toContain(old);
      expect(live).toContain(newVersion);
    }
    expect((await verifyAudit(app.store.audit, app.auditPublicKey, auditClaimCheckers(app.config))).ok).toBe(
      true,
    );
  });
});
