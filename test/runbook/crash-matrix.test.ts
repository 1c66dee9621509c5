/**
 * kill -9 at every step boundary, against the real local servers: the run executes in a
 * child process that SIGKILLs itself at a failpoint (src/lib/failpoint.ts); then the run
 * is resumed. Afterwards there must be exactly one new live credential, the old version
 * revoked, exactly one lineage record, and an intact audit log.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { auditClaimCheckers } from '../../src/approval/audit-claims.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { resumeRun } from '../../src/runbook/runs.js';
import { createAwsFixture } from '../providers/aws.fixture.js';
import { createAzureFixture } from '../providers/azure.fixture.js';
import type { ProviderFixture } from '../providers/fixture.js';
import { vaultAppRoleFixture, vaultFixture, vaultTokenFixture } from '../providers/vault.fixture.js';
import { approvedRequest, CLI, localConfig, scratchDir } from './local-app.js';

const SIDE_EFFECT_STEPS = ['revoke', 'reissue', 'verify'];
const POINTS = ['before-intent', 'after-intent', 'after-call', 'after-outcome'];

/** One shipped runbook under test: a fixture that seeds and inspects its kind, and the config block. */
interface Target {
  fixture: ProviderFixture;
  runbook: string;
  block: string;
}

// Every shipped runbook belongs here; a new kind needs only a ProviderFixture for it.
const targets: Target[] = [
  { fixture: vaultFixture, runbook: 'vault-kv-recovery', block: 'vault-local' },
  { fixture: vaultAppRoleFixture, runbook: 'vault-approle-recovery', block: 'vault-local' },
  { fixture: vaultTokenFixture, runbook: 'vault-token-recovery', block: 'vault-local' },
  { fixture: createAwsFixture(), runbook: 'aws-secret-recovery', block: 'aws-local' },
  { fixture: createAzureFixture(), runbook: 'azure-secret-recovery', block: 'azure-local' },
];

let scratch: ReturnType<typeof scratchDir>;
let aliceKey: string;
const summary: string[] = [];

beforeAll(async () => {
  for (const t of targets) await t.fixture.reset();
  scratch = scratchDir('nhi-crash-');
  aliceKey = scratch.key('alice');
});

afterAll(() => {
  if (summary.length)
    console.info(`crash matrix: ${summary.length} kill points, all recovered\n${summary.join('\n')}`);
});

describe.each(targets)('crash matrix: $runbook', ({ fixture, runbook, block }) => {
  const cases = SIDE_EFFECT_STEPS.flatMap((step) => POINTS.map((point) => `${step}:${point}`));

  it.each(cases)('recovers after kill -9 at %s', async (failpoint) => {
    const name = `crash-${Date.now().toString(36)}-${failpoint.replace(/[^a-z]/g, '')}`;
    const ref = await fixture.seed({ name, value: `old-${name}`, owner: 'alice' });
    const instance = ref.split(':')[0] as string;
    const configPath = localConfig(scratch.dir, name, { [instance]: block });
    let app = createApp({ configPath });
    const requestId = await approvedRequest(app, ref, runbook, { alice: aliceKey });
    const oldVersion = (await app.store.requests.get(requestId))?.plan as {
      revoke: { versions: { versionId: string }[] };
    };
    await app.close();

    const child = spawnSync(
      process.execPath,
      [CLI, '--config', configPath, 'run', requestId, '--as', 'carol'],
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
