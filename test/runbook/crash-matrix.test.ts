/**
 * kill -9 at every step boundary of every shipped runbook, against the real local servers:
 * the run executes in a child process that SIGKILLs itself at a failpoint (src/lib/failpoint.ts);
 * then the run is resumed. Afterwards the run has completed with exactly one live credential
 * (the new one), every planned old version unusable (revoked, or deleted by make-room), exactly
 * one lineage record, nothing left behind by the interrupted call, and an intact audit log.
 *
 * The kill points of a runbook are derived from it: each side-effect step (the steps the plan
 * marks `sideEffect`: intent committed before, outcome after) at each of the executor's four
 * boundaries, plus the failpoints a provider has inside one call (ProviderDeps.faults).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { auditClaimCheckers } from '../../src/approval/signing/audit-claims.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { loadRunbooksFrom, shippedRunbookDir } from '../../src/runbook/load.js';
import type { Plan } from '../../src/runbook/plan-types.js';
import { resumeRun } from '../../src/runbook/runs.js';
import { STEP_DEFINITIONS } from '../../src/runbook/steps/index.js';
import { createAwsFixture, createAwsIamKeyFixture } from '../providers/aws.fixture.js';
import { createAzureFixture } from '../providers/azure.fixture.js';
import type { ProviderFixture } from '../providers/fixture.js';
import { vaultAppRoleFixture, vaultFixture, vaultTokenFixture } from '../providers/vault.fixture.js';
import { approvedRequest, CLI, localConfig, scratchDir } from './local-app.js';

/** The executor's boundaries around every side-effect step (src/runbook/executor.ts). */
const POINTS = ['before-intent', 'after-intent', 'after-call', 'after-outcome'];

/**
 * Failpoints inside the IAM reissue (providers/aws/iam-reissue.ts): after CreateAccessKey but
 * before the pair is delivered (the key's secret exists nowhere else), and after delivery but
 * before the pending-issue tag is cleared.
 */
const IAM_REISSUE_POINTS = ['aws.iam-key:after-create', 'aws.iam-key:after-delivery'];

/** One shipped runbook under test: a fixture that seeds and inspects its kind, and the config block. */
interface Target {
  fixture: ProviderFixture;
  runbook: string;
  block: string;
  /** Tells two targets of one runbook apart in test names. */
  variant?: string;
  /** Failpoints inside provider calls, beyond the step boundaries. */
  providerPoints?: string[];
  /** The seed sits at a provider limit: the plan must name versions `make-room` deletes. */
  makesRoom?: boolean;
}

// Every shipped runbook belongs here (checked below); a new kind needs only a ProviderFixture for it.
const targets: Target[] = [
  { fixture: vaultFixture, runbook: 'vault-kv-recovery', block: 'vault-local' },
  { fixture: vaultAppRoleFixture, runbook: 'vault-approle-recovery', block: 'vault-local' },
  { fixture: vaultTokenFixture, runbook: 'vault-token-recovery', block: 'vault-local' },
  { fixture: createAwsFixture(), runbook: 'aws-secret-recovery', block: 'aws-local' },
  { fixture: createAwsFixture(), runbook: 'aws-secret-rotation', block: 'aws-local' },
  {
    fixture: createAwsIamKeyFixture(),
    runbook: 'aws-iam-key-recovery',
    block: 'aws-local',
    variant: 'one Active key',
    providerPoints: IAM_REISSUE_POINTS,
  },
  {
    fixture: createAwsIamKeyFixture({ spareInactiveKey: true }),
    runbook: 'aws-iam-key-recovery',
    block: 'aws-local',
    variant: 'Inactive + Active key: make-room deletes the Inactive one',
    providerPoints: IAM_REISSUE_POINTS,
    makesRoom: true,
  },
  { fixture: createAzureFixture(), runbook: 'azure-secret-recovery', block: 'azure-local' },
  { fixture: createAzureFixture(), runbook: 'azure-secret-rotation', block: 'azure-local' },
];

const shipped = loadRunbooksFrom([shippedRunbookDir()]);

/** The side-effect steps of a runbook, in order, as the planner marks them. */
function sideEffectSteps(runbook: string): string[] {
  const rb = shipped.get(runbook);
  if (!rb) throw new Error(`crash matrix names ${runbook}, which is not a shipped runbook`);
  return rb.steps.filter((s) => STEP_DEFINITIONS[s.type].sideEffect).map((s) => s.id);
}

const cases = targets.map((t) => ({
  ...t,
  title: t.variant ? `${t.runbook} (${t.variant})` : t.runbook,
  points: [
    ...sideEffectSteps(t.runbook).flatMap((step) => POINTS.map((point) => `${step}:${point}`)),
    ...(t.providerPoints ?? []),
  ],
}));

const killPoints = cases.reduce((n, c) => n + c.points.length, 0);
let aliceKey: string;
const summary: string[] = [];
let attempted = 0;
const dirs: string[] = [];
const caseDir = () => {
  const { dir } = scratchDir('nhi-crash-');
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  for (const t of targets) await t.fixture.reset();
  const keys = scratchDir('nhi-crash-');
  dirs.push(keys.dir);
  aliceKey = keys.key('alice');
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  if (summary.length === 0) return;
  const verdict =
    summary.length === attempted && attempted === killPoints
      ? `${killPoints} kill points over ${shipped.size} shipped runbooks, all recovered`
      : `${summary.length} of ${attempted} kill points run recovered (the full matrix has ${killPoints})`;
  console.info(`crash matrix: ${verdict}\n${summary.sort().join('\n')}`);
});

/** `nhi run` in a child process; resolves with how it ended (async, so targets run concurrently). */
function runChild(
  configPath: string,
  requestId: string,
  failpoint: string,
): Promise<{ signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--config', configPath, 'run', requestId, '--as', 'carol'], {
      env: { ...process.env, NHI_FAILPOINT: failpoint },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (d: string) => {
      output += d;
    };
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ signal, output: `exit ${code}: ${output}` }));
  });
}

it('covers every shipped runbook', () => {
  expect(new Set(targets.map((t) => t.runbook))).toEqual(new Set(shipped.keys()));
});

describe.concurrent.each(cases)(
  'crash matrix: $title',
  ({ fixture, runbook, block, points, makesRoom, title }) => {
    it.for(points)('recovers after kill -9 at %s', async (failpoint, { expect }) => {
      attempted++;
      const name = `crash-${randomUUID().slice(0, 8)}-${failpoint.replace(/[^a-z]/g, '')}`;
      const ref = await fixture.seed({ name, value: `old-${name}`, owner: 'alice' });
      const instance = ref.split(':')[0] as string;
      // A directory per case: localConfig copies the key files into it, and cases run concurrently.
      const configPath = localConfig(caseDir(), name, { [instance]: block });
      let app = await createApp({ configPath });
      const requestId = await approvedRequest(app, ref, runbook, { alice: aliceKey });
      const plan = (await app.store.requests.get(requestId))?.plan as Plan;
      await app.close();
      // The points were derived from the runbook; the approved plan must mark the same side effects.
      expect(plan.steps.filter((s) => s.sideEffect).map((s) => s.id)).toEqual(sideEffectSteps(runbook));
      const roomFor = plan.limits.flatMap((l) => l.makeRoom ?? []);
      if (makesRoom) expect(roomFor, 'the seed should need make-room').not.toHaveLength(0);

      const child = await runChild(configPath, requestId, failpoint);
      if (child.signal !== 'SIGKILL') {
        app = await createApp({ configPath });
        const ended = (await app.store.runs.forRequest(requestId))[0];
        await app.close();
        expect.fail(`run should die at ${failpoint}: ${child.output}; run error: ${ended?.error ?? 'none'}`);
      }

      app = await createApp({ configPath });
      try {
        const run = (await app.store.runs.forRequest(requestId))[0];
        expect(run?.status).toBe('running');
        const finished = await resumeRun(app.engine(), run?.id ?? '', 'carol');
        expect(finished.status, finished.error).toBe('completed');
        expect(await fixture.liveVersionCount(ref)).toBe(1);
        for (const v of plan.revoke.versions) expect(await fixture.isUsable(ref, v.versionId)).toBe(false);
        for (const id of roomFor) expect(await fixture.isUsable(ref, id)).toBe(false);
        const lineage = await app.store.lineage.forRef(ref);
        expect(lineage).toHaveLength(1);
        expect(lineage[0]?.oldVersions.map((v) => v.versionId).sort()).toEqual(
          plan.revoke.versions.map((v) => v.versionId).sort(),
        );
        // The one live credential is the one the lineage records as new.
        const issued = lineage[0]?.newVersion?.versionId;
        expect(issued).toBeTruthy();
        expect(await fixture.isUsable(ref, issued as string)).toBe(true);
        expect(await (fixture.leftovers?.(ref) ?? [])).toEqual([]);
        const verdict = await verifyAudit(
          app.store.audit,
          app.auditPublicKey,
          auditClaimCheckers(app.config),
        );
        expect(verdict.ok).toBe(true);
        summary.push(
          `  ${title} @ ${failpoint}: resumed -> completed, 1 live version, lineage 1, audit intact`,
        );
      } finally {
        await app.close();
      }
    });
  },
);
