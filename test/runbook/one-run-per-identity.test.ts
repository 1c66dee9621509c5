/**
 * Issue 10, finding 4: one run per identity, one executor per run. Real CLI processes against
 * the local OpenBao; a consumer hook that takes a few seconds keeps the first run executing
 * while the second command arrives.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAwsFixture } from '../providers/aws.fixture.js';
import type { ProviderFixture } from '../providers/fixture.js';
import { vaultFixture } from '../providers/vault.fixture.js';
import { CLI, filedRequest, inProcessCli, localConfig, scratchDir } from './local-app.js';

let configPath: string;
let dbPath: string;
let scratch: ReturnType<typeof scratchDir>;

const nhi = inProcessCli(() => configPath);

/** The built CLI in its own process (another executor on the same host). */
function nhiProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--config', configPath, ...args], {
      env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function runsOf(requestId: string): { id: string; status: string }[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT id, status FROM runs WHERE request_id = ?').all(requestId) as {
      id: string;
      status: string;
    }[];
  } finally {
    db.close();
  }
}

async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const awsFixture = createAwsFixture();

async function approvedRequest(ref: string, runbook = 'vault-kv-slow-consumer'): Promise<string> {
  const filed = await nhi('request', ref, '--runbook', runbook, '--reason', 'INC-10', '--as', 'carol');
  expect(filed.code, filed.stderr).toBe(0);
  const { id, digest } = filedRequest(filed.stdout);
  expect(
    (await nhi('approve', id, '--as', 'alice', '--key', scratch.key('alice'), '--digest', digest)).code,
  ).toBe(0);
  return id;
}

beforeAll(() => {
  scratch = scratchDir('nhi-one-run-');
  const runbooks = mkdtempSync(join(tmpdir(), 'nhi-slow-rb-'));
  writeFileSync(
    join(runbooks, 'slow.json'),
    JSON.stringify({
      id: 'vault-kv-slow-consumer',
      description: 'KV recovery whose consumer takes a few seconds to pick up the new version',
      appliesTo: { provider: 'vault', kind: 'kv' },
      order: 'revoke-then-reissue',
      generator: { type: 'password', length: 32 },
      steps: [
        'snapshot',
        'approval',
        { type: 'revoke', params: { mode: 'destroy' } },
        'reissue',
        'verify',
        { type: 'hook', id: 'reload-consumer', params: { hook: 'slow-consumer' } },
      ],
    }),
  );
  writeFileSync(
    join(runbooks, 'slow-aws.json'),
    JSON.stringify({
      id: 'aws-secret-slow-consumer',
      description: 'Secrets Manager recovery whose consumer takes a few seconds to pick up the new version',
      appliesTo: { provider: 'aws', kind: 'secret' },
      order: 'revoke-then-reissue',
      generator: { type: 'password', length: 32 },
      steps: [
        'snapshot',
        'approval',
        'revoke',
        'reissue',
        'verify',
        { type: 'hook', id: 'reload-consumer', params: { hook: 'slow-consumer' } },
      ],
    }),
  );
  configPath = localConfig(
    scratch.dir,
    'one-run',
    { 'vault-test': 'vault-local', 'aws-test': 'aws-local' },
    {
      runbooks: { dirs: [runbooks] },
      hooks: { 'slow-consumer': { type: 'command', command: ['sleep', '3'] } },
    },
  );
  dbPath = JSON.parse(readFileSync(configPath, 'utf8')).state.path;
});

describe('one run per identity at a time (issue 10)', () => {
  it('nhi resume of a run that another process is executing is refused with who holds it; the run completes untouched', async () => {
    const ref = await vaultFixture.seed({
      name: `lease-${Date.now().toString(36)}`,
      value: 'old-lease',
      owner: 'alice',
    });
    const id = await approvedRequest(ref);
    const first = nhiProcess('run', id, '--as', 'bob');
    const run = await until('the run to start', () => runsOf(id)[0]);
    const resume = await nhi('resume', run.id, '--as', 'bob');
    expect(resume.code).toBe(3);
    expect(resume.stderr).toMatch(/refused \(run-in-progress\)/);
    expect(resume.stderr).toMatch(/being executed by \S+:\d+:\S+ \(lease until \d{4}-/);
    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    expect(runsOf(id)).toEqual([{ id: run.id, status: 'completed' }]);
    // Once finished, resume is a no-op that reports the completed run.
    const after = await nhi('resume', run.id, '--as', 'bob');
    expect(after.code, after.stderr).toBe(0);
    expect(runsOf(id)[0]?.status).toBe('completed');
    expect(await vaultFixture.liveVersionCount(ref)).toBe(1);
  });

  const targets: [string, ProviderFixture, string][] = [
    ['Vault KV (OpenBao)', vaultFixture, 'vault-kv-slow-consumer'],
    ['Secrets Manager (moto)', awsFixture, 'aws-secret-slow-consumer'],
  ];
  for (const [name, fixture, runbook] of targets) {
    it(`${name}: two approved requests for one identity run at the same moment — one recovers it, the other is refused naming the first run`, async () => {
      const ref = await fixture.seed({
        name: `twice-${Date.now().toString(36)}`,
        value: 'old-twice',
        owner: 'alice',
      });
      const oldVersion = (await nhi('--json', 'plan', ref, '--runbook', runbook)).stdout;
      const revoked = (JSON.parse(oldVersion) as { plan: { revoke: { versions: { versionId: string }[] } } })
        .plan.revoke.versions[0]?.versionId as string;
      const a = await approvedRequest(ref, runbook);
      const b = await approvedRequest(ref, runbook);
      const [ra, rb] = await Promise.all([
        nhiProcess('run', a, '--as', 'bob'),
        nhiProcess('run', b, '--as', 'bob'),
      ]);
      const codes = [ra.code, rb.code].sort();
      expect(codes, `${ra.stderr}\n${rb.stderr}`).toEqual([0, 3]);
      const [winner, loser] = ra.code === 0 ? [a, rb] : [b, ra];
      const winningRun = runsOf(winner)[0]?.id ?? '';
      expect(loser.stderr).toMatch(/refused \(identity-busy\)/);
      expect(loser.stderr).toContain(winningRun);
      // Exactly one new version is live; the old one was revoked once.
      expect(await fixture.liveVersionCount(ref)).toBe(1);
      expect(await fixture.isUsable(ref, revoked)).toBe(false);
      const lineage = await nhi('--json', 'lineage', ref);
      expect(JSON.parse(lineage.stdout)).toHaveLength(1);
      // The identity is free again once the first run completed.
      expect((await nhi('plan', ref, '--runbook', runbook)).code).toBe(0);
    });
  }
});
