/**
 * Issue 15's quota benchmark, in its own child process: N Secrets Manager secrets owned by
 * alice in a stateful quota-enforcing fake (sm-fake.ts), recovered through the real engine and
 * the real AWS adapter (createAwsProviderWithClients, its default budgets unless told):
 * carol files one incident (fileIncident), alice approves her share with one signature
 * (decideIncident), dave runs it (runIncident, timed alone). Every call the fake receives
 * during the run is counted; afterwards every secret is checked in the fake: exactly one live
 * version (AWSCURRENT, a new value), the old version and the tombstone unlabelled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RATES } from '../providers/aws/client.js';
import { createAwsProviderWithClients } from '../providers/aws/index.js';
import { createApp } from '../src/app.js';
import { ownerRegistryFromConfig } from '../src/approval/owners/owner-registry.js';
import { decideIncident } from '../src/incident/decide.js';
import { runIncident } from '../src/incident/execute.js';
import { fileIncident } from '../src/incident/file.js';
import { parseSelectors } from '../src/incident/select.js';
import type { EngineDeps } from '../src/runbook/engine.js';
import { INSTANCE, incidentWorld } from './incident-world.js';
import { type Latency, QuotaService } from './quota-fake.js';
import { FakeSecretsManager, SM_QUOTAS, SM_WRITE } from './sm-fake.js';

export interface IncidentChildArgs {
  n: number;
  latency: Latency;
  /** Targets in flight (default: the engine's DEFAULT_INCIDENT_CONCURRENCY). */
  concurrency?: number;
  /** Secrets Manager rateLimit for the instance (default: the adapter's defaults). */
  rateLimit?: Record<string, number>;
}

export interface IncidentChildResult extends IncidentChildArgs {
  targets: number;
  completed: number;
  /** Secrets whose state in the fake after the run is exactly one new live version. */
  verified: number;
  outcomes: Record<string, number>;
  firstProblem?: string;
  fileSeconds: number;
  approveSeconds: number;
  runSeconds: number;
  /** Calls the fake received during the run, by API (throttled ones included). */
  calls: Record<string, number>;
  writes: number;
  writesAdmitted: number;
  throttled: number;
  writeQuotaPerSecond: number;
  writeBudgetPerSecond: number;
  writeQuotaSource: string;
  peakRssMb: number;
}

const NOOP_IAM = { send: () => Promise.reject(new Error('bench: no IAM')) };
const OLD = (i: number) => `old-value-${i}-${'x'.repeat(24)}`;

export async function incidentChild(args: IncidentChildArgs): Promise<IncidentChildResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-bench-incident-'));
  const world = incidentWorld(dir, args.rateLimit ? { rateLimit: args.rateLimit } : {});
  const service = new QuotaService(SM_QUOTAS, args.latency);
  const fake = new FakeSecretsManager(service);
  const created = new Date(Date.now() - 400 * 86_400_000);
  const oldVersion = new Map<string, string>();
  for (let i = 0; i < args.n; i++) {
    const s = fake.seed(`ci/svc-${String(i).padStart(5, '0')}`, OLD(i), { owner: 'alice' }, created);
    oldVersion.set(s.name, [...s.versions.keys()][0] as string);
  }
  const app = await createApp({ configPath: world.configPath, env: {} });
  try {
    const config = app.config.providers[INSTANCE];
    if (config?.type !== 'aws') throw new Error('bench config');
    const provider = createAwsProviderWithClients(
      config,
      INSTANCE,
      {
        logger: app.logger.child({ provider: INSTANCE }),
        fingerprint: app.fingerprint,
        ownerTagKeys: app.config.owners.tagKeys,
        now: app.now,
      },
      { secretsManager: fake, iam: NOOP_IAM },
    );
    // The composition root's engine, with the one provider instance over the fake.
    const deps: EngineDeps = { ...app.engine(), provider: async () => provider };
    let t0 = performance.now();
    const filed = await fileIncident(deps, {
      selection: {
        selectors: parseSelectors(['owner:alice,kind:secret'], { config: app.config, baseDir: dir }),
        runbooks: [],
      },
      reason: 'INC-BENCH CI runner compromised',
      requester: 'carol',
    });
    const fileSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await decideIncident(
      {
        store: app.store,
        audit: app.audit,
        config: app.config,
        notifier: app.notifier,
        registry: ownerRegistryFromConfig(app.config),
      },
      {
        incidentId: filed.incident.id,
        principal: 'alice',
        decision: 'approve',
        now: app.now(),
        privateKey: world.privateKey('alice'),
      },
    );
    const approveSeconds = (performance.now() - t0) / 1000;

    const before = new Map(service.calls);
    const admittedBefore = service.admitted(SM_WRITE);
    const throttledBefore = service.throttled;
    t0 = performance.now();
    const results = await runIncident(deps, {
      incidentId: filed.incident.id,
      executor: 'dave',
      resume: false,
      ...(args.concurrency ? { concurrency: args.concurrency } : {}),
    });
    const runSeconds = (performance.now() - t0) / 1000;
    const calls = Object.fromEntries(
      [...service.calls].map(([k, v]) => [k, v - (before.get(k) ?? 0)]).filter(([, v]) => v !== 0),
    );
    const outcomes: Record<string, number> = {};
    for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const problem = results.find((r) => r.outcome !== 'completed');
    return {
      ...args,
      targets: filed.requests.length,
      completed: outcomes.completed ?? 0,
      verified: verifiedSecrets(fake, oldVersion),
      outcomes,
      ...(problem ? { firstProblem: `${problem.outcome}: ${problem.detail ?? ''}`.slice(0, 300) } : {}),
      fileSeconds,
      approveSeconds,
      runSeconds,
      calls,
      writes: (calls[SM_WRITE] as number | undefined) ?? 0,
      writesAdmitted: service.admitted(SM_WRITE) - admittedBefore,
      throttled: service.throttled - throttledBefore,
      writeQuotaPerSecond: service.quotaPerSecond(SM_WRITE),
      writeBudgetPerSecond: args.rateLimit?.writesPerSecond ?? DEFAULT_RATES.smWrite,
      writeQuotaSource: SM_QUOTAS[SM_WRITE]?.source ?? '',
      peakRssMb: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    };
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each recovered secret: one labelled version, AWSCURRENT, not the old value; the old version unlabelled. */
function verifiedSecrets(fake: FakeSecretsManager, oldVersion: Map<string, string>): number {
  let ok = 0;
  for (const s of fake.secrets.values()) {
    const live = [...s.versions.values()].filter((v) => v.stages.length > 0);
    const old = s.versions.get(oldVersion.get(s.name) as string);
    if (
      live.length === 1 &&
      live[0]?.stages.join() === 'AWSCURRENT' &&
      live[0].id !== old?.id &&
      !live[0].value.startsWith('old-value-') &&
      old?.stages.length === 0
    )
      ok++;
  }
  return ok;
}
