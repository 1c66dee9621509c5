/**
 * Issue 10, finding 4: one run per identity, one executor per run. Real CLI processes against
 * the local OpenBao; a consumer hook that takes a few seconds keeps the first run executing
 * while the second command arrives. On both stores (issue 14): on PostgreSQL the two processes
 * could as well be on two hosts, nothing they share but the database.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAwsFixture } from '../providers/aws.fixture.js';
import type { ProviderFixture } from '../providers/fixture.js';
import { vaultFixture } from '../providers/vault.fixture.js';
import { freshDatabase } from '../store/pg-fixture.js';
import { CLI, filedRequest, inProcessCli, localConfig, scratchDir } from './local-app.js';

type Backend = 'sqlite' | 'postgres';
type RunRow = { id: string; status: string };

/** The built CLI in its own process (another executor, on this host or, with PostgreSQL, any). */
function nhiProcess(
  configPath: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
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

/** The runs of a request, read straight from the store's tables. */
function runsReader(backend: Backend, where: string): (requestId: string) => Promise<RunRow[]> {
  if (backend === 'postgres') {
    return async (requestId) => {
      const client = new pg.Client({ connectionString: where });
      await client.connect();
      try {
        return (await client.query<RunRow>('SELECT id, status FROM runs WHERE request_id = $1', [requestId]))
          .rows;
      } finally {
        await client.end();
      }
    };
  }
  return async (requestId) => {
    const db = new Database(where, { readonly: true });
    try {
      return db.prepare('SELECT id, status FROM runs WHERE request_id = ?').all(requestId) as RunRow[];
    } finally {
      db.close();
    }
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const awsFixture = createAwsFixture();

describe.each<Backend>(['sqlite', 'postgres'])(
  'one run per identity at a time on %s (issue 10)',
  (backend) => {
    let configPath: string;
    let scratch: ReturnType<typeof scratchDir>;
    let runsOf: (requestId: string) => Promise<RunRow[]>;
    const nhi = inProcessCli(() => configPath);
    const nhiRun = (...args: string[]) => nhiProcess(configPath, ...args);

    async function approvedRequest(ref: string, runbook = 'vault-kv-slow-consumer'): Promise<string> {
      const filed = await nhi('request', ref, '--runbook', runbook, '--reason', 'INC-10', '--as', 'carol');
      expect(filed.code, filed.stderr).toBe(0);
      const { id, digest } = filedRequest(filed.stdout);
      expect(
        (await nhi('approve', id, '--as', 'alice', '--key', scratch.key('alice'), '--digest', digest)).code,
      ).toBe(0);
      return id;
    }

    beforeAll(async () => {
      scratch = scratchDir('nhi-one-run-');
      // The URL reaches the CLIs as a file: reference (in-process commands get an empty environment).
      const databaseUrl = backend === 'postgres' ? await freshDatabase() : undefined;
      const urlFile = join(scratch.dir, 'database-url');
      if (databaseUrl) writeFileSync(urlFile, databaseUrl, { mode: 0o600 });
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
          description:
            'Secrets Manager recovery whose consumer takes a few seconds to pick up the new version',
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
          ...(databaseUrl ? { state: { url: `file:${urlFile}` } } : {}),
        },
      );
      runsOf = runsReader(backend, databaseUrl ?? JSON.parse(readFileSync(configPath, 'utf8')).state.path);
    });

    it('nhi resume of a run that another process is executing is refused with who holds it; the run completes untouched', async () => {
      const ref = await vaultFixture.seed({
        name: `lease-${Date.now().toString(36)}`,
        value: 'old-lease',
        owner: 'alice',
      });
      const id = await approvedRequest(ref);
      const first = nhiRun('run', id, '--as', 'bob');
      const run = await until('the run to start', async () => (await runsOf(id))[0]);
      const resume = await nhi('resume', run.id, '--as', 'bob');
      expect(resume.code).toBe(3);
      expect(resume.stderr).toMatch(/refused \(run-in-progress\)/);
      expect(resume.stderr).toMatch(/being executed by \S+:\d+:\S+ \(lease until \d{4}-/);
      const done = await first;
      expect(done.code, done.stderr).toBe(0);
      expect(await runsOf(id)).toEqual([{ id: run.id, status: 'completed' }]);
      // Once finished, resume is a no-op that reports the completed run.
      const after = await nhi('resume', run.id, '--as', 'bob');
      expect(after.code, after.stderr).toBe(0);
      expect((await runsOf(id))[0]?.status).toBe('completed');
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
        const revoked = (
          JSON.parse(oldVersion) as { plan: { revoke: { versions: { versionId: string }[] } } }
        ).plan.revoke.versions[0]?.versionId as string;
        const a = await approvedRequest(ref, runbook);
        const b = await approvedRequest(ref, runbook);
        const [ra, rb] = await Promise.all([
          nhiRun('run', a, '--as', 'bob'),
          nhiRun('run', b, '--as', 'bob'),
        ]);
        const codes = [ra.code, rb.code].sort();
        expect(codes, `${ra.stderr}\n${rb.stderr}`).toEqual([0, 3]);
        const [winner, loser] = ra.code === 0 ? [a, rb] : [b, ra];
        const winningRun = (await runsOf(winner))[0]?.id ?? '';
        expect(loser.stderr).toMatch(/refused \(identity-busy\)/);
        expect(loser.stderr).toContain(winningRun);
        // Exactly one new version is live; the old one was revoked once.
        expect(await fixture.liveVersionCount(ref)).toBe(1);
        expect(await fixture.isUsable(ref, revoked)).toBe(false);
        const lineage = await nhi('--json', 'lineage', ref);
        expect(JSON.parse(lineage.stdout).lineage).toHaveLength(1);
        // The identity is free again once the first run completed.
        expect((await nhi('plan', ref, '--runbook', runbook)).code).toBe(0);
      });
    }
  },
);
