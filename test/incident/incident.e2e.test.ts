/**
 * An incident end to end on the real local servers, through the real `nhi` binary: 30
 * credentials across moto (Secrets Manager), OpenBao (KV v2) and the Key Vault server, owned
 * half by alice and half by bob, two of them privileged and owned by both. One selection, one
 * incident; alice approves her share with one signature and the run starts while bob has not
 * decided; the process is SIGKILLed mid-run at two different step boundaries; bob approves;
 * `nhi incident resume` finishes. Afterwards, checked on the servers: every target has exactly
 * one live credential (the new one), every old version is unusable, one lineage record and
 * one run per target, and the audit log verifies.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { runCli } from '../../src/cli/program.js';
import type { IncidentStatus } from '../../src/incident/status.js';
import { parseRef } from '../../src/lib/ref.js';
import { createAwsFixture } from '../providers/aws.fixture.js';
import { createAzureFixture } from '../providers/azure.fixture.js';
import type { ProviderFixture } from '../providers/fixture.js';
import { vaultFixture } from '../providers/vault.fixture.js';
import { Capture, CLI, localConfig, scratchDir } from '../runbook/local-app.js';

const tag = `inc${randomUUID().slice(0, 8)}`;
const aws = createAwsFixture();
const azure = createAzureFixture();
const fixtures: { fixture: ProviderFixture; block: string; count: number }[] = [
  { fixture: aws, block: 'aws-local', count: 12 },
  { fixture: vaultFixture, block: 'vault-local', count: 10 },
  { fixture: azure, block: 'azure-local', count: 8 },
];
const CANARY = `leaked-${randomUUID()}`;

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let configPath = '';
let dir = '';
const keys: Record<string, string> = {};
const refs = new Map<string, ProviderFixture>();

function nhi(args: string[], env: Record<string, string> = {}, input?: string): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--config', configPath, ...args], {
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    if (input !== undefined) child.stdin?.end(input);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function json<T>(args: string[], env: Record<string, string> = {}): Promise<T> {
  const r = await nhi(['--json', ...args], env);
  if (r.code !== 0) throw new Error(`nhi ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  for (const { fixture } of fixtures) await fixture.reset();
  const scratch = scratchDir('nhi-incident-');
  dir = scratch.dir;
  for (const p of ['alice', 'bob', 'carol']) keys[p] = scratch.key(p);
  const instances: Record<string, string> = {};
  for (const { fixture, block, count } of fixtures) {
    for (let i = 0; i < count; i++) {
      // Two privileged targets, owned by the payments team (alice and bob): quorum 2 and a hold.
      const privileged = i === 0 && fixture !== azure;
      const name = `${tag}-${privileged ? 'p' : 's'}${i}`;
      const ref = await fixture.seed({
        name,
        value: `old-${name}`,
        owner: privileged ? 'payments' : i % 2 === 0 ? 'alice' : 'bob',
      });
      refs.set(ref, fixture);
      instances[parseRef(ref).instance] = block;
    }
  }
  configPath = localConfig(dir, 'incident', instances, {
    tiers: { privileged: { refPatterns: [`*:*:*${tag}-p*`] } },
    // A 3-second hold instead of the default hour, so the test sees the hold and its end.
    policy: { privileged: { quorum: 2, approvalTtlHours: 4, holdMinutes: 0.05, executorNotApprover: true } },
  });
  // The servers are shared with every other suite: walk only this suite's AWS prefix and the
  // kinds it seeds, so a walk of every instance (--value-stdin) does not grow with their data.
  const written = JSON.parse(readFileSync(configPath, 'utf8'));
  const awsRef = [...refs.keys()].find((r) => r.startsWith('aws-test:')) as string;
  const prefix = `${parseRef(awsRef).locator.split('/')[0]}/`;
  written.providers['aws-test'] = {
    ...written.providers['aws-test'],
    kinds: ['secret'],
    secrets: { namePrefix: prefix },
  };
  written.providers['vault-test'] = { ...written.providers['vault-test'], kinds: ['kv'] };
  writeFileSync(configPath, JSON.stringify(written));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nhi incident on moto, OpenBao and the Key Vault server', () => {
  it('plans 30 targets, owners approve their halves, SIGKILL twice, resume: every target recovered exactly once', async () => {
    const missing = 'aws-test:secret:does-not-exist-anywhere';
    const refsFile = join(dir, 'extra-refs.txt');
    writeFileSync(refsFile, `# from the CI runner's environment\n${missing}\n`);
    const select = ['--select', `ref:*${tag}-*`, '--select', `refs-file:${refsFile}`];

    const plan = await json<{
      digest: string;
      document: { targets: { ref: string; tier: string }[]; unrecoverable: { ref: string }[] };
    }>(['incident', 'plan', ...select]);
    expect(plan.document.targets.map((t) => t.ref).sort()).toEqual([...refs.keys()].sort());
    expect(plan.document.targets.filter((t) => t.tier === 'privileged')).toHaveLength(2);
    expect(plan.document.unrecoverable.map((u) => u.ref)).toEqual([missing]);

    const filed = await json<{ incident: { id: string; digest: string } }>([
      'incident',
      'request',
      ...select,
      '--reason',
      `INC-${tag} CI runner compromised`,
      '--as',
      'carol',
      '--key',
      keys.carol as string,
      '--digest',
      plan.digest,
    ]);
    const id = filed.incident.id;
    // Nothing changed between plan and request: the same incident digest.
    expect(filed.incident.digest).toBe(plan.digest);

    // The requester cannot approve, and a stale digest is refused (exit 3), both audited.
    const self = await nhi(['incident', 'approve', id, '--as', 'carol', '--key', keys.carol as string]);
    expect(self.code).toBe(3);
    expect(self.stderr).toMatch(/separation of duties/);
    const stale = await nhi([
      'incident',
      'approve',
      id,
      '--as',
      'alice',
      '--key',
      keys.alice as string,
      '--digest',
      `sha256:${'0'.repeat(64)}`,
    ]);
    expect(stale.code).toBe(3);

    const alice = await json<{ decided: { ref: string; status: string }[] }>([
      'incident',
      'approve',
      id,
      '--as',
      'alice',
      '--key',
      keys.alice as string,
      '--digest',
      plan.digest,
    ]);
    // alice owns the 13 standard targets of even index and both privileged ones (through payments).
    expect(alice.decided).toHaveLength(15);

    // Run alice's approved share; die at the first reissue intent that any target commits.
    const first = await nhi(['incident', 'run', id, '--as', 'carol', '--key', keys.carol as string], {
      NHI_FAILPOINT: 'reissue:after-intent',
    });
    expect(first.signal, first.stderr + first.stdout).toBe('SIGKILL');

    const bob = await json<{ decided: unknown[] }>([
      'incident',
      'approve',
      id,
      '--as',
      'bob',
      '--key',
      keys.bob as string,
      '--digest',
      plan.digest,
    ]);
    // bob: the 15 of odd index and both privileged ones.
    expect(bob.decided).toHaveLength(17);

    // Resume everything; die again, this time after a provider call whose outcome was not committed.
    const second = await nhi(['incident', 'resume', id, '--as', 'carol', '--key', keys.carol as string], {
      NHI_FAILPOINT: 'revoke:after-call',
    });
    expect(second.signal, second.stderr + second.stdout).toBe('SIGKILL');

    // The privileged targets' hold (3 s) has passed by now; the last resume finishes the rest.
    await new Promise((r) => setTimeout(r, 3_500));
    // In this process, with stderr flagged as a terminal: the progress line shows and is cleared.
    const stdout = new Capture();
    const stderr = Object.assign(new Capture(), { isTTY: true });
    const code = await runCli(
      ['--config', configPath, 'incident', 'resume', id, '--as', 'carol', '--key', keys.carol as string],
      { stdout, stderr, env: process.env },
    );
    const last = { stdout: stdout.text };
    expect(code, stderr.text + stdout.text).toBe(0);
    expect(stderr.text).toMatch(/done \d+\/30, failed 0, waiting \d+, running \d+ — [\d.]+\/s, \d+ s/);
    expect(stderr.text.endsWith('\r\x1b[2K')).toBe(true);
    expect(stdout.text).not.toContain('\x1b');

    const status = await json<IncidentStatus>(['incident', 'status', id]);
    const open = status.targets.filter((t) => t.state !== 'completed');
    expect(
      open.map((t) => `${t.ref}: ${t.state} ${t.problem ?? ''}`),
      last.stdout,
    ).toEqual([]);
    expect(status.needsAttention).toEqual([]);
    expect(status.unrecoverable.map((u) => u.ref)).toEqual([missing]);
    const privileged = status.targets.filter((t) => t.tier === 'privileged');
    for (const t of privileged) expect([...t.approvers].sort()).toEqual(['alice', 'bob']);

    const app = await createApp({ configPath });
    try {
      for (const t of status.targets) {
        const fixture = refs.get(t.ref) as ProviderFixture;
        expect(t.after?.versionId, t.ref).toBeDefined();
        expect(await fixture.isUsable(t.ref, t.after?.versionId as string), `${t.ref} new version`).toBe(
          true,
        );
        for (const old of t.before)
          expect(await fixture.isUsable(t.ref, old.versionId), `${t.ref} old ${old.versionId}`).toBe(false);
        expect(await fixture.liveVersionCount(t.ref), t.ref).toBe(1);
        expect(await app.store.lineage.forRef(t.ref), t.ref).toHaveLength(1);
        const runs = (await app.store.runs.forRequest(t.requestId)).filter((r) => r.status !== 'refused');
        expect(runs, t.ref).toHaveLength(1);
      }
    } finally {
      await app.close();
    }
    // The chain, its checkpoints, and every request, approval, run and lineage row against its entry.
    const audit = await nhi(['audit', 'verify']);
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);

    const md = await nhi(['incident', 'status', id, '--format', 'markdown']);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('**30 target(s)**: 30 completed');
  }, 300_000);

  it('selects by a leaked value read from stdin without ever printing or storing it', async () => {
    const r = await nhi(['incident', 'plan', '--value-stdin'], {}, `${CANARY}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no recoverable target selected');
    expect(r.stdout + r.stderr).not.toContain(CANARY);
  }, 120_000);
});
