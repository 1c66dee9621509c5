/**
 * Issue 14: three `nhi serve` processes on one store with a 2-second schedule. One leads; SIGKILL
 * it and another leads within 15 s; SIGTERM that one and the third takes over at once. No
 * scheduled occurrence is scanned twice, and the audit log — written by all three — verifies.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyAudit } from '../../src/audit/verify.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import { motoSecretsProvider, writeTestConfig } from '../scan/helpers.js';
import { testCliMain } from '../servers/test-build.js';
import { freshDatabase } from '../store/pg-fixture.js';

const main = testCliMain();

interface Instance {
  child: ChildProcess;
  lines: () => { msg: string; pid: number; tick?: string; token?: number; time: number | string }[];
  exited: Promise<number | null>;
}

function startServe(configPath: string, env: NodeJS.ProcessEnv): Instance {
  const child = spawn(process.execPath, [main, '--config', configPath, 'serve'], {
    env: { PATH: process.env.PATH, ...env, AWS_EC2_METADATA_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c) => {
    stderr += c;
  });
  child.stdout?.on('data', (c) => {
    stderr += `{"msg":"stdout","out":${JSON.stringify(String(c))}}\n`;
  });
  child.on('exit', (code) => {
    stderr += `{"msg":"exit","code":${code},"tail":${JSON.stringify(stderr.slice(-500))}}\n`;
  });
  return {
    child,
    exited: new Promise((r) => child.on('exit', (code) => r(code))),
    lines: () =>
      stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l)),
  };
}

async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const scansBy = (i: Instance) => i.lines().filter((l) => l.msg === 'scheduled scan starting');
const leads = (i: Instance) => i.lines().some((l) => l.msg.startsWith('elected leader'));

describe.each(['sqlite', 'postgres'] as const)('several nhi serve instances on one %s store', (backend) => {
  it('one leads, a standby takes over within 15 s of SIGKILL, no occurrence is scanned twice', async () => {
    const databaseUrl = backend === 'postgres' ? await freshDatabase() : undefined;
    const {
      configPath,
      env: baseEnv,
      dir,
    } = writeTestConfig({
      log: { level: 'info' },
      ...(databaseUrl ? { state: { url: 'env:NHI_DATABASE_URL' } } : {}),
      // Nothing in moto carries this prefix: each scan is one empty page, seconds apart.
      providers: { aws: motoSecretsProvider(`leader-test-${process.pid}/`) },
      schedules: { often: { cron: '*/2 * * * * *', timezone: 'UTC', providers: ['aws'] } },
    });
    const env = databaseUrl ? { ...baseEnv, NHI_DATABASE_URL: databaseUrl } : baseEnv;
    const all = [0, 1, 2].map(() => startServe(configPath, env));
    try {
      const first = await until('a leader', 20_000, () => all.find(leads)).catch((e) => {
        throw new Error(`${e.message}: ${JSON.stringify(all[0]?.lines().slice(0, 5))}`);
      });
      await until('two scans by the first leader', 20_000, () =>
        scansBy(first).length >= 2 ? true : undefined,
      );
      expect(all.filter(leads)).toHaveLength(1);

      const killedAt = Date.now();
      first.child.kill('SIGKILL');
      await first.exited;
      const rest = all.filter((i) => i !== first);
      const second = await until('a new leader', 20_000, () => rest.find(leads));
      const electedAt = new Date(second.lines().find((l) => l.msg.startsWith('elected leader'))?.time ?? 0);
      expect(electedAt.getTime() - killedAt).toBeLessThan(15_000);
      await until('two scans by the second leader', 20_000, () =>
        scansBy(second).length >= 2 ? true : undefined,
      );

      // A clean stop releases the lease: the third leads at once.
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      const third = rest.find((i) => i !== second) as Instance;
      // Released, it is taken on the third's next beat; were the release lost, the lease lapses (12 s).
      await until('the third leader', 20_000, () => (leads(third) ? true : undefined)).catch((e) => {
        throw new Error(`${e.message}: ${JSON.stringify(third.lines().slice(-8))}`);
      });
      await until('a scan by the third leader', 20_000, () =>
        scansBy(third).length >= 1 ? true : undefined,
      );
      third.child.kill('SIGTERM');
      expect(await third.exited).toBe(0);

      const ticks = all.flatMap((i) => scansBy(i).map((l) => l.tick));
      expect(ticks.every((t) => typeof t === 'string')).toBe(true);
      expect(new Set(ticks).size).toBe(ticks.length);

      const store: Store = databaseUrl
        ? await openPostgresStore(databaseUrl)
        : openSqliteStore(join(dir, 'state.db'));
      try {
        const publicKey = createPublicKey(createPrivateKey(env.NHI_AUDIT_KEY as string));
        const verdict = await verifyAudit(store.audit, publicKey);
        expect(verdict.firstBad).toBeUndefined();
        expect(verdict.ok).toBe(true);
        const leaders = new Set<string>();
        for await (const e of store.audit.entries())
          if (e.type === 'serve.leader-elected') leaders.add(e.actor);
        expect(leaders.size).toBe(3);
      } finally {
        await store.close();
      }
    } finally {
      for (const i of all) i.child.kill('SIGKILL');
    }
  }, 120_000);
});
