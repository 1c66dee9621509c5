/**
 * Provider fakes for the scan benchmark that behave like the real services at the API level:
 * each call takes 20-50 ms, and each API enforces its published quota with a sliding window,
 * rejecting over-quota calls with a throttling error. The client side (what an adapter does)
 * paces itself with the shared token-bucket limiter and retries throttles with backoff.
 * Identities are generated from their index, so the fake holds no estate in memory.
 */
import { mapConcurrent } from '../src/lib/concurrency.js';
import { ProviderError } from '../src/lib/errors.js';
import { createRateLimiter, type RateLimiter, sleep } from '../src/lib/rate-limit.js';
import type { CredentialProvider, IdentityRecord } from '../src/provider.js';

export interface ApiQuota {
  name: string;
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

/** Server side: one sliding-window counter per API. */
export class QuotaService {
  readonly #log = new Map<string, number[]>();
  readonly calls = new Map<string, number>();
  throttled = 0;
  constructor(
    private readonly quotas: Record<string, ApiQuota>,
    private readonly latency: { minMs: number; maxMs: number },
  ) {}

  async call(api: string): Promise<void> {
    const q = this.quotas[api];
    if (!q) throw new Error(`no quota for ${api}`);
    const now = performance.now();
    const log = this.#log.get(api) ?? [];
    while (log.length > 0 && (log[0] as number) <= now - q.windowMs) log.shift();
    this.#log.set(api, log);
    this.calls.set(api, (this.calls.get(api) ?? 0) + 1);
    await sleep(this.latency.minMs + Math.random() * (this.latency.maxMs - this.latency.minMs));
    if (log.length >= q.limit) {
      this.throttled++;
      throw new ProviderError(`${api}: Rate exceeded`, { retryable: true, status: 429 });
    }
    log.push(now);
  }
}

/** Client side: pace with the limiter, retry throttles with exponential backoff. */
async function paced(service: QuotaService, api: string, limiter: RateLimiter): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await limiter.acquire();
    try {
      return await service.call(api);
    } catch (error) {
      if (!(error instanceof ProviderError) || !error.retryable || attempt >= 8) throw error;
      await sleep(Math.min(2_000, 50 * 2 ** attempt));
    }
  }
}

const DAY = 86_400_000;
const BASE = Date.parse('2026-01-01T00:00:00.000Z');

/** A varied, deterministic estate: ages, last use, owners, tiers and states spread by index. */
export function syntheticIdentity(instance: string, provider: 'aws' | 'azure', i: number): IdentityRecord {
  const name = `svc-${String(i).padStart(6, '0')}`;
  const owner = i % 7 === 0 ? undefined : i % 11 === 0 ? 'ghost' : i % 2 === 0 ? 'alice' : 'payments';
  const tags: Record<string, string> = {
    ...(owner ? { owner } : {}),
    ...(i % 13 === 0 ? { tier: 'privileged' } : {}),
  };
  const created = new Date(BASE - ((i * 37) % 900) * DAY - DAY).toISOString();
  const lastUsed = i % 5 === 0 ? undefined : new Date(BASE - ((i * 17) % 400) * DAY).toISOString();
  return {
    ref: `${instance}:secret:${name}`,
    provider,
    instance,
    kind: 'secret',
    name,
    owners: owner ? [owner] : [],
    state: i % 29 === 0 ? 'disabled' : 'enabled',
    createdAt: created,
    ...(provider === 'aws' && lastUsed ? { lastUsedAt: lastUsed } : {}),
    ...(provider === 'aws' ? { lastUsedSignal: 'LastAccessedDate' } : {}),
    lastUsedConfidence: provider === 'aws' ? 'day' : 'none',
    lastRotatedAt: new Date(Date.parse(created) + ((i * 3) % 200) * DAY).toISOString(),
    ...(i % 31 === 0 ? { expiresAt: new Date(BASE - 5 * DAY).toISOString() } : {}),
    tags,
    currentVersion: `v${i}`,
    versions: [{ id: `v${i}`, state: 'enabled', current: true }],
  };
}

export interface BenchProfile {
  name: string;
  description: string;
  quotas: Record<string, ApiQuota>;
  pageSize: number;
  listApi: string;
  /** Per-identity call the real adapter makes (version listing). */
  itemApi: string;
  concurrency: number;
  /** Client budget as a share of the quota (stays under a sliding window). */
  clientShare: number;
}

export const PROFILES: Record<string, BenchProfile> = {
  aws: {
    name: 'aws-secretsmanager',
    description:
      'ListSecrets (100/page, 100 rps) + one per-secret read (10,000 rps DescribeSecret/GetSecretValue quota)',
    quotas: {
      ListSecrets: { name: 'ListSecrets', limit: 100, windowMs: 1_000 },
      DescribeSecret: { name: 'DescribeSecret', limit: 10_000, windowMs: 1_000 },
    },
    pageSize: 100,
    listApi: 'ListSecrets',
    itemApi: 'DescribeSecret',
    concurrency: 64,
    clientShare: 0.9,
  },
  azure: {
    name: 'azure-keyvault',
    description:
      'list secrets (25/page) + list versions per secret; 4,000 secret transactions / 10 s per vault',
    quotas: { vault: { name: 'vault', limit: 4_000, windowMs: 10_000 } },
    pageSize: 25,
    listApi: 'vault',
    itemApi: 'vault',
    concurrency: 32,
    clientShare: 0.9,
  },
};

export function quotaBoundProvider(
  profile: BenchProfile,
  n: number,
  service: QuotaService,
  instance = 'bench',
): CredentialProvider {
  const limiters = new Map<string, RateLimiter>();
  for (const q of Object.values(profile.quotas)) {
    const rate = (q.limit / (q.windowMs / 1000)) * profile.clientShare;
    limiters.set(
      q.name,
      createRateLimiter({ ratePerSecond: rate, burst: Math.max(1, Math.floor(rate / 10)) }),
    );
  }
  const limiter = (api: string) => limiters.get(api) as RateLimiter;
  const kind = profile.name.startsWith('aws') ? 'aws' : 'azure';
  async function* pages(): AsyncGenerator<number> {
    for (let start = 0; start < n; start += profile.pageSize) {
      await paced(service, profile.listApi, limiter(profile.listApi));
      for (let i = start; i < Math.min(n, start + profile.pageSize); i++) yield i;
    }
  }
  return {
    type: kind,
    instance,
    capabilities: {},
    async *inventory() {
      yield* mapConcurrent(pages(), profile.concurrency, async (i) => {
        await paced(service, profile.itemApi, limiter(profile.itemApi));
        return syntheticIdentity(instance, kind, i);
      });
    },
    describe: () => Promise.reject(new Error('bench fake: describe')),
    revoke: () => Promise.reject(new Error('bench fake: revoke')),
    reissue: () => Promise.reject(new Error('bench fake: reissue')),
    findIssued: () => Promise.resolve(undefined),
    verify: () => Promise.reject(new Error('bench fake: verify')),
  };
}

/** Lower bound on wall time from quotas, sequential pagination latency and concurrency. */
export function idealSeconds(
  profile: BenchProfile,
  n: number,
  meanLatencyMs: number,
): { seconds: number; bound: string } {
  const pagesCount = Math.ceil(n / profile.pageSize);
  const perApi = new Map<string, number>();
  perApi.set(profile.listApi, (perApi.get(profile.listApi) ?? 0) + pagesCount);
  perApi.set(profile.itemApi, (perApi.get(profile.itemApi) ?? 0) + n);
  const candidates: [string, number][] = [];
  for (const [api, calls] of perApi) {
    const q = profile.quotas[api] as ApiQuota;
    candidates.push([
      `quota ${api} ${q.limit}/${q.windowMs / 1000}s`,
      calls / (q.limit / (q.windowMs / 1000)),
    ]);
  }
  candidates.push(['sequential pagination latency', (pagesCount * meanLatencyMs) / 1000]);
  candidates.push([
    `latency x concurrency ${profile.concurrency}`,
    (n * meanLatencyMs) / profile.concurrency / 1000,
  ]);
  const [bound, seconds] = candidates.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { seconds, bound };
}
