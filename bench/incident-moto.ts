/**
 * Issue 15's end-to-end figure: N secrets seeded on the local moto server (loopback only),
 * then the real `nhi` binary as a user runs it — `incident request` (carol), `incident
 * approve` (alice, one signature), `incident run` (dave) — each phase timed from spawn to
 * exit, at the adapter's default budgets. Afterwards every secret is checked on moto: exactly
 * one labelled version, AWSCURRENT, not the seeded one. The secrets are deleted at the end.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { incidentWorld } from './incident-world.js';

export interface IncidentMotoResult {
  n: number;
  seedSeconds: number;
  requestSeconds: number;
  approveSeconds: number;
  runSeconds: number;
  completed: number;
  verified: number;
  outcomes: Record<string, number>;
  firstProblem?: string;
}

const MOTO = process.env.BENCH_MOTO_URL ?? 'http://127.0.0.1:5000';
/** dist/bench/incident-moto.js → dist/src/cli/main.js: the CLI as `npm run build` ships it. */
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** Moto answering on loopback (never anything else), for the caller to skip the run without it. */
export async function motoAnswers(): Promise<boolean> {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(MOTO).hostname)) return false;
  return fetch(`${MOTO}/moto-api/`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );
}

function nhi(configPath: string, args: string[]): Promise<{ seconds: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--config', configPath, '--json', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code === 0 || (args[1] === 'run' && code === 1)) resolve({ seconds, stdout });
      else reject(new Error(`nhi ${args.slice(0, 2).join(' ')} exited ${code}: ${stderr.slice(0, 500)}`));
    });
  });
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

export async function incidentMotoChild(args: { n: number }): Promise<IncidentMotoResult> {
  if (!(await motoAnswers())) throw new Error(`moto not answering on loopback at ${MOTO}`);
  const sm = await import('@aws-sdk/client-secrets-manager');
  const client: SecretsManagerClient = new sm.SecretsManagerClient({
    region: 'us-east-1',
    endpoint: MOTO,
    credentials: {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
    maxAttempts: 3,
  });
  const prefix = `nhi-bench-inc-${randomUUID().slice(0, 8)}/`;
  const names = Array.from({ length: args.n }, (_, i) => `${prefix}svc-${String(i).padStart(4, '0')}`);
  const seeded = new Map<string, string>();
  const dir = mkdtempSync(join(tmpdir(), 'nhi-bench-incident-moto-'));
  try {
    const world = incidentWorld(dir, { endpoint: MOTO, secrets: { namePrefix: prefix } });
    const t0 = performance.now();
    await inBatches(names, 8, async (Name) => {
      const out = await client.send(
        new sm.CreateSecretCommand({
          Name,
          SecretString: `old-${randomUUID()}`,
          Tags: [{ Key: 'owner', Value: 'alice' }],
        }),
      );
      seeded.set(Name, out.VersionId ?? '');
    });
    const seedSeconds = (performance.now() - t0) / 1000;
    const request = await nhi(world.configPath, [
      'incident',
      'request',
      '--select',
      'owner:alice,kind:secret',
      '--reason',
      'INC-BENCH CI runner compromised',
      '--as',
      'carol',
    ]);
    const id = (JSON.parse(request.stdout) as { incident: { id: string } }).incident.id;
    const approve = await nhi(world.configPath, [
      'incident',
      'approve',
      id,
      '--as',
      'alice',
      '--key',
      world.keyFile('alice'),
    ]);
    const run = await nhi(world.configPath, ['incident', 'run', id, '--as', 'dave']);
    const results = (JSON.parse(run.stdout) as { results: { outcome: string; detail?: string }[] }).results;
    const outcomes: Record<string, number> = {};
    for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const problem = results.find((r) => r.outcome !== 'completed');
    // On the server: one labelled version per secret, AWSCURRENT, not the seeded one.
    let verified = 0;
    await inBatches(names, 8, async (SecretId) => {
      const d = await client.send(new sm.DescribeSecretCommand({ SecretId }));
      const live = Object.entries(d.VersionIdsToStages ?? {}).filter(([, stages]) => stages.length > 0);
      if (live.length === 1 && live[0]?.[1].includes('AWSCURRENT') && live[0][0] !== seeded.get(SecretId))
        verified++;
    });
    return {
      n: args.n,
      seedSeconds,
      requestSeconds: request.seconds,
      approveSeconds: approve.seconds,
      runSeconds: run.seconds,
      completed: outcomes.completed ?? 0,
      verified,
      outcomes,
      ...(problem ? { firstProblem: `${problem.outcome}: ${problem.detail ?? ''}`.slice(0, 300) } : {}),
    };
  } finally {
    await inBatches([...seeded.keys()], 16, (SecretId) =>
      client
        .send(new sm.DeleteSecretCommand({ SecretId, ForceDeleteWithoutRecovery: true }))
        .catch(() => undefined),
    );
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
