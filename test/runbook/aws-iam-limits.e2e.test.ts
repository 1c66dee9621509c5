/**
 * Issue 11 items 1 and 3 (AWS IAM keys), against the local moto through the real CLI and app:
 * the 2-key limit is planned (make-room deletes an already-Inactive key, signed in the plan)
 * or refused at plan time with the fix — never found after revoking; revoke cuts off the STS
 * sessions the key minted with an inline deny policy that a later recovery replaces; and a
 * run killed inside the reissue (after CreateAccessKey, after delivery) resumes and cleans up
 * like a first-time run, so the next recovery works.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { PENDING_TAG } from '../../providers/aws/iam-reissue.js';
import { createApp } from '../../src/app.js';
import type { Plan } from '../../src/runbook/plan-types.js';
import { resumeRun, startRun } from '../../src/runbook/runs.js';
import { motoClientConfig } from '../providers/aws.fixture.js';
import { approvedRequest, CLI, localConfig, scratchDir } from './local-app.js';

const RUNBOOK = 'aws-iam-key-recovery';
const POLICY = 'nhi-revoke-sessions';
const suffix = randomUUID().slice(0, 8);
const iam = new IAMClient(motoClientConfig());
let configPath: string;
let aliceKey: string;

beforeAll(() => {
  const scratch = scratchDir('nhi-iam-limits-');
  aliceKey = scratch.key('alice');
  configPath = localConfig(scratch.dir, 'iam', { 'aws-local': 'aws-local' });
});

const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, '--config', configPath, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });

async function newUser(name: string): Promise<{ user: string; keyId: string }> {
  const user = `${name}-${suffix}`;
  await iam.send(new CreateUserCommand({ UserName: user, Tags: [{ Key: 'owner', Value: 'alice' }] }));
  return { user, keyId: await newKey(user) };
}

async function newKey(user: string): Promise<string> {
  return (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey?.AccessKeyId as string;
}

const refOf = (user: string, keyId: string) => `aws-local:iam-key:${user}/${keyId}`;

async function keys(user: string): Promise<Record<string, string>> {
  const out = await iam.send(new ListAccessKeysCommand({ UserName: user }));
  return Object.fromEntries((out.AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId, k.Status]));
}

const active = async (user: string) =>
  Object.entries(await keys(user))
    .filter(([, s]) => s === 'Active')
    .map(([id]) => id);

async function sessionPolicy(user: string): Promise<{ names: string[]; document?: unknown }> {
  const names = (await iam.send(new ListUserPoliciesCommand({ UserName: user }))).PolicyNames ?? [];
  if (!names.includes(POLICY)) return { names };
  const doc = (await iam.send(new GetUserPolicyCommand({ UserName: user, PolicyName: POLICY })))
    .PolicyDocument;
  const text = doc as string;
  return { names, document: JSON.parse(text.startsWith('%') ? decodeURIComponent(text) : text) };
}

const issueTimeOf = (document: unknown) =>
  (document as { Statement: { Condition: { DateLessThan: { 'aws:TokenIssueTime': string } } }[] })
    .Statement[0]?.Condition.DateLessThan['aws:TokenIssueTime'] as string;

async function pendingTag(user: string): Promise<string | undefined> {
  const tags = (await iam.send(new ListUserTagsCommand({ UserName: user }))).Tags ?? [];
  return tags.find((t) => t.Key === PENDING_TAG)?.Value;
}

/** Request, approve as alice and run one recovery in-process; returns the new key id. */
async function recover(ref: string): Promise<{ newKey: string; runId: string }> {
  const app = await createApp({ configPath });
  try {
    const requestId = await approvedRequest(app, ref, RUNBOOK, { alice: aliceKey });
    const run = await startRun(app.engine(), { requestId, executor: 'carol' });
    expect(run.status, run.error).toBe('completed');
    return { newKey: (run.facts as { issued: { versionId: string } }).issued.versionId, runId: run.id };
  } finally {
    await app.close();
  }
}

describe('aws iam-key: the 2-key limit is planned, never hit after revoking', () => {
  it('second recovery: nhi plan shows make-room deleting the Inactive key; the run leaves exactly one Active key', async () => {
    const { user, keyId: first } = await newUser('limit');
    const { newKey: second } = await recover(refOf(user, first));
    expect(await keys(user)).toEqual({ [first]: 'Inactive', [second]: 'Active' });

    const ref = refOf(user, second);
    const text = cli(['plan', ref, '--runbook', RUNBOOK]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain('limit iam.access-keys-per-user (2/2)');
    expect(text.stdout).toContain(`make-room deletes ${first} (already Inactive) first`);
    expect(text.stdout).toMatch(/make-room -> revoke -> reissue/);
    expect(text.stdout).toMatch(/- aws-sts-session \[revoke\]\n\s+.*nhi-revoke-sessions/);
    expect(text.stdout).toMatch(/! aws-role-session \[out-of-reach\]/);

    const json = cli(['plan', ref, '--runbook', RUNBOOK, '--json']);
    expect(json.status, json.stderr).toBe(0);
    const plan = (JSON.parse(json.stdout) as { plan: Plan }).plan;
    expect(plan.limits).toEqual([
      expect.objectContaining({ name: 'iam.access-keys-per-user', limit: 2, current: 2, makeRoom: [first] }),
    ]);
    expect(plan.limits[0]?.detail).toContain(`${first} Inactive`);
    expect(plan.limits[0]?.detail).toContain(`${second} Active, target`);
    expect(plan.derived.map((d) => [d.kind, d.action])).toEqual([
      ['aws-sts-session', 'revoke'],
      ['aws-role-session', 'out-of-reach'],
    ]);

    const { newKey: third } = await recover(ref);
    expect(await keys(user)).toEqual({ [second]: 'Inactive', [third]: 'Active' });
    expect(await active(user)).toEqual([third]);
  });

  it('two Active keys: nhi plan and nhi request refuse (exit 3) with the fix, and nothing changes', async () => {
    const { user, keyId: leaked } = await newUser('two-active');
    const other = await newKey(user);
    const ref = refOf(user, leaked);
    for (const args of [
      ['plan', ref, '--runbook', RUNBOOK],
      ['request', ref, '--runbook', RUNBOOK, '--reason', 'INC-11', '--as', 'carol'],
    ]) {
      const out = cli(args);
      expect(out.status, out.stderr).toBe(3);
      expect(out.stderr).toContain(`the other key ${other} is Active`);
      expect(out.stderr).toMatch(/deactivate it .*--status Inactive/);
      expect(out.stderr).toContain('revoke mode is "delete"');
    }
    expect(await keys(user)).toEqual({ [leaked]: 'Active', [other]: 'Active' });
    expect((await sessionPolicy(user)).names).toEqual([]);
  });
});

describe('aws iam-key: sessions minted from the leaked key are denied', () => {
  it('revoke writes the deny policy on aws:TokenIssueTime, records it in lineage; a second recovery replaces it', async () => {
    const { user, keyId } = await newUser('sessions');
    const startedAt = Date.now();
    const { newKey, runId } = await recover(refOf(user, keyId));
    const first = await sessionPolicy(user);
    expect(first.names).toEqual([POLICY]);
    const before = issueTimeOf(first.document);
    expect(before).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(before)).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) * 1000);
    expect(first.document).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': before } },
        },
      ],
    });

    const app = await createApp({ configPath });
    try {
      const [lineage] = await app.store.lineage.forRef(refOf(user, keyId));
      expect(lineage?.runId).toBe(runId);
      expect(lineage?.oldVersions[0]?.derived).toEqual([
        expect.objectContaining({ kind: 'aws-sts-session', name: `${user}/${POLICY}`, before }),
      ]);
      const revokeStep = (await app.store.runs.steps(runId)).find((s) => s.type === 'revoke');
      expect(JSON.stringify(revokeStep?.outcome)).toContain(POLICY);
    } finally {
      await app.close();
    }

    await new Promise((r) => setTimeout(r, 1100));
    await recover(refOf(user, newKey));
    const second = await sessionPolicy(user);
    expect(second.names).toEqual([POLICY]);
    expect(Date.parse(issueTimeOf(second.document))).toBeGreaterThan(Date.parse(before));
  });
});

describe('aws iam-key: kill -9 inside the reissue, then resume, cleans up like a first run', () => {
  it.each(['aws.iam-key:after-create', 'aws.iam-key:after-delivery'])(
    'killed at %s: resume completes, no pending tag, one Active key; the next recovery succeeds',
    async (failpoint) => {
      const { user, keyId } = await newUser(`kill-${failpoint.split(':')[1]}`);
      let app = await createApp({ configPath });
      const requestId = await approvedRequest(app, refOf(user, keyId), RUNBOOK, { alice: aliceKey });
      await app.close();

      const child = cli(['run', requestId, '--as', 'carol'], { NHI_FAILPOINT: failpoint });
      expect(child.signal, `run should die at ${failpoint}: ${child.stderr}`).toBe('SIGKILL');
      expect(await pendingTag(user)).toBeDefined();

      app = await createApp({ configPath });
      let newKey: string;
      try {
        const run = (await app.store.runs.forRequest(requestId))[0];
        const finished = await resumeRun(app.engine(), run?.id ?? '', 'carol');
        expect(finished.status, finished.error).toBe('completed');
        newKey = (finished.facts as { issued: { versionId: string } }).issued.versionId;
      } finally {
        await app.close();
      }
      expect(await pendingTag(user)).toBeUndefined();
      expect(await keys(user)).toEqual({ [keyId]: 'Inactive', [newKey]: 'Active' });

      const { newKey: next } = await recover(refOf(user, newKey));
      expect(await pendingTag(user)).toBeUndefined();
      expect(await keys(user)).toEqual({ [newKey]: 'Inactive', [next]: 'Active' });
    },
  );
});
