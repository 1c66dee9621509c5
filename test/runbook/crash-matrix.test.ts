/**
 * kill -9 at every step boundary, against the real local servers: the run executes in a
 * child process that SIGKILLs itself at a failpoint (src/lib/failpoint.ts); then the run
 * is resumed. Afterwards there must be exactly one new live credential, the old version
 * revoked, exactly one lineage record, and an intact audit log.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { auditClaimCheckers } from '../../src/approval/audit-claims.js';
import { recordDecision } from '../../src/approval/decide.js';
import { ownerRegistryFromConfig } from '../../src/approval/registry.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createRequest } from '../../src/runbook/requests.js';
import { resumeRun } from '../../src/runbook/runs.js';
import { createAwsFixture } from '../providers/aws.fixture.js';
import { createAzureFixture } from '../providers/azure.fixture.js';
import type { ProviderFixture } from '../providers/fixture.js';
import { vaultFixture } from '../providers/vault.fixture.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const SIDE_EFFECT_STEPS = ['revoke', 'reissue', 'verify'];
const POINTS = ['before-intent', 'after-intent', 'after-call', 'after-outcome'];

interface Target {
  fixture: ProviderFixture;
  runbook: string;
  block: string;
}

const targets: Target[] = [
  { fixture: vaultFixture, runbook: 'vault-kv-recovery', block: 'vault-local' },
  { fixture: createAwsFixture(), runbook: 'aws-secret-recovery', block: 'aws-local' },
  { fixture: createAzureFixture(), runbook: 'azure-secret-recovery', block: 'azure-local' },
];

let dir: string;
let aliceKey: string;
const summary: string[] = [];

beforeAll(async () => {
  for (const t of targets) await t.fixture.reset();
  dir = mkdtempSync(join(tmpdir(), 'nhi-crash-'));
  aliceKey = join(dir, 'alice.key');
  copyFileSync(join(root, 'examples/keys/alice.key'), aliceKey);
  chmodSync(aliceKey, 0o600);
});

afterAll(() => {
  if (summary.length)
    console.info(`crash matrix: ${summary.length} kill points, all recovered\n${summary.join('\n')}`);
});

/** A config for one scenario: the local servers, instances named as the fixtures name them, a fresh state DB. */
function scenarioConfig(instance: string, block: string, name: string): string {
  const local = JSON.parse(readFileSync(join(root, 'test/servers/local.config.json'), 'utf8'));
  const base = join(root, 'test/servers');
  const abs = (p: string) => (p.startsWith('file:') ? `file:${resolve(base, p.slice(5))}` : p);
  const provider = { ...local.providers[block] };
  if (provider.auth?.token) provider.auth = { ...provider.auth, token: abs(provider.auth.token) };
  if (provider.credentials?.secretAccessKey)
    provider.credentials = {
      ...provider.credentials,
      secretAccessKey: abs(provider.credentials.secretAccessKey),
    };
  if (provider.credential?.token)
    provider.credential = { ...provider.credential, token: abs(provider.credential.token) };
  if (provider.caFile) provider.caFile = resolve(base, provider.caFile);
  const principals = Object.fromEntries(
    Object.entries(local.owners.principals as Record<string, { publicKey: string }>).map(([k, v]) => [
      k,
      { publicKey: abs(v.publicKey) },
    ]),
  );
  const config = {
    state: { path: join(dir, `${name}.db`) },
    keys: { fingerprint: abs(local.keys.fingerprint), auditSigning: abs(local.keys.auditSigning) },
    log: { level: 'warn' },
    providers: { [instance]: provider },
    owners: { ...local.owners, principals },
  };
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

async function approvedRequest(app: App, ref: string, runbook: string): Promise<string> {
  const req = await createRequest(app.engine(), {
    ref,
    runbookId: runbook,
    reason: 'crash matrix',
    requester: 'carol',
  });
  await recordDecision(
    {
      store: app.store,
      audit: app.audit,
      config: app.config,
      notifier: app.notifier,
      registry: ownerRegistryFromConfig(app.config),
    },
    {
      requestId: req.id,
      principal: 'alice',
      decision: 'approve',
      now: new Date(),
      privateKey: new SecretValue(readFileSync(aliceKey, 'utf8')),
    },
  );
  return req.id;
}

describe.each(targets)('crash matrix: $runbook', ({ fixture, runbook, block }) => {
  const cases = SIDE_EFFECT_STEPS.flatMap((step) => POINTS.map((point) => `${step}:${point}`));

  it.each(cases)('recovers after kill -9 at %s', async (failpoint) => {
    const name = `crash-${Date.now().toString(36)}-${failpoint.replace(/[^a-z]/g, '')}`;
    const ref = await fixture.seed({ name, value: `old-${name}`, owner: 'alice' });
    const instance = ref.split(':')[0] as string;
    const configPath = scenarioConfig(instance, block, name);
    let app = createApp({ configPath });
    const requestId = await approvedRequest(app, ref, runbook);
    const oldVersion = (await app.store.requests.get(requestId))?.plan as {
      revoke: { versions: { versionId: string }[] };
    };
    await app.close();

    const child = spawnSync(
      process.execPath,
      [cli, '--config', configPath, 'run', requestId, '--as', 'carol'],
      {
        env: { ...process.env, NHI_FAILPOINT: failpoint },
        encoding: 'utf8',
      },
    );
    expect(child.signal, `run should die at ${failpoint}: ${child.stderr}`).toBe('SIGKILL');

    app = createApp({ configPath });
    try {
      const run = (await app.store.runs.forRequest(requestId))[0];
      expect(run?.status).toBe('running');
      const finished = await resumeRun(app.engine(), run?.id ?? '', 'carol');
      expect(finished.status).toBe('completed');
      expect(await fixture.liveVersionCount(ref)).toBe(1);
      for (const v of oldVersion.revoke.versions)
        expect(await fixture.isUsable(ref, v.versionId)).toBe(false);
      const lineage = await app.store.lineage.forRef(ref);
      expect(lineage).toHaveLength(1);
      expect(lineage[0]?.oldVersions.map((v) => v.versionId).sort()).toEqual(
        oldVersion.revoke.versions.map((v) => v.versionId).sort(),
      );
      const verdict = await verifyAudit(app.store.audit, app.auditPublicKey, auditClaimCheckers(app.config));
      expect(verdict.ok).toBe(true);
      summary.push(
        `  ${runbook} @ ${failpoint}: resumed -> completed, 1 live version, lineage 1, audit intact`,
      );
    } finally {
      await app.close();
    }
  });
});
