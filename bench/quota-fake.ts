/**
 * Server side of the benchmarks: each API call takes 20-50 ms and each API group enforces its
 * published quota over a sliding window, answering over-quota calls with the provider's own
 * throttling error (AWS ThrottlingException, Key Vault HTTP 429), which the real adapters retry.
 * The clients in fake-clients.ts sit on this behind the adapters' narrow client shapes.
 */
import { sleep } from '../src/lib/rate-limit.js';

export interface ApiQuota {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  /** Where the figure is published. */
  source: string;
}

export interface Latency {
  minMs: number;
  maxMs: number;
}

/** One sliding-window counter per API group; counts calls, throttles and the busiest window. */
export class QuotaService {
  readonly #log = new Map<string, number[]>();
  readonly calls = new Map<string, number>();
  readonly #admitted = new Map<string, number>();
  throttled = 0;
  /** Time between a response and the client's next request, summed (sequential listings). */
  clientGapMs = 0;
  #lastResponse = 0;
  #first = Number.POSITIVE_INFINITY;
  #last = 0;
  constructor(
    readonly quotas: Readonly<Record<string, ApiQuota>>,
    readonly latency: Latency,
  ) {}

  /** Admit or throttle one call to `group`; resolves after the call's latency. */
  async call(group: string, throttle: () => Error): Promise<void> {
    const q = this.quotas[group];
    if (!q) throw new Error(`no quota for ${group}`);
    const now = performance.now();
    const log = this.#log.get(group) ?? [];
    let drop = 0;
    while (drop < log.length && (log[drop] as number) <= now - q.windowMs) drop++;
    if (drop > 0) log.splice(0, drop);
    this.#log.set(group, log);
    this.calls.set(group, (this.calls.get(group) ?? 0) + 1);
    if (this.#lastResponse > 0) this.clientGapMs += Math.max(0, now - this.#lastResponse);
    const admitted = log.length < q.limit;
    // The service counts the request when it arrives, as AWS and Key Vault do; throttled ones do not count.
    if (admitted) log.push(now);
    await sleep(this.latency.minMs + Math.random() * (this.latency.maxMs - this.latency.minMs));
    this.#lastResponse = performance.now();
    if (!admitted) {
      this.throttled++;
      throw throttle();
    }
    this.#admitted.set(group, (this.#admitted.get(group) ?? 0) + 1);
    this.#first = Math.min(this.#first, now);
    this.#last = Math.max(this.#last, now);
  }

  /** Admitted calls on `group` so far. */
  admitted(group: string): number {
    return this.#admitted.get(group) ?? 0;
  }

  /** Admitted calls per second on `group` between its first and last call. */
  ratePerSecond(group: string): number {
    const n = this.#admitted.get(group) ?? 0;
    const span = (this.#last - this.#first) / 1000;
    return span > 0 ? (n - 1) / span : 0;
  }

  /** The group's quota as calls per second. */
  quotaPerSecond(group: string): number {
    const q = this.quotas[group] as ApiQuota;
    return q.limit / (q.windowMs / 1000);
  }
}

export const AWS_QUOTAS: Record<string, ApiQuota> = {
  ListSecrets: {
    limit: 100,
    windowMs: 1_000,
    source:
      'AWS what\u2019s-new 2022-11 "Secrets Manager increases API requests per second limits" (ListSecrets 100/s)',
  },
};

export const AZURE_QUOTAS: Record<string, ApiQuota> = {
  vault: {
    limit: 4_000,
    windowMs: 10_000,
    source:
      'learn.microsoft.com/azure/key-vault/general/service-limits (secrets: 4,000 transactions per 10 s per vault per region)',
  },
};

/**
 * Lower bound on a scan's wall time: each quota, the sequential page chain (a page's token comes
 * with the previous page) and calls in flight x latency. The largest wins.
 */
export function idealSeconds(opts: {
  calls: Record<string, number>;
  quotas: Readonly<Record<string, ApiQuota>>;
  sequentialPages: number;
  perItemCalls: number;
  concurrency: number;
  meanLatencyMs: number;
}): { seconds: number; bound: string } {
  const candidates: [string, number][] = [];
  for (const [api, calls] of Object.entries(opts.calls)) {
    const q = opts.quotas[api] as ApiQuota;
    candidates.push([
      `quota ${api} ${q.limit}/${q.windowMs / 1000}s`,
      calls / (q.limit / (q.windowMs / 1000)),
    ]);
  }
  candidates.push(['sequential pages x latency', (opts.sequentialPages * opts.meanLatencyMs) / 1000]);
  if (opts.perItemCalls > 0)
    candidates.push([
      `latency x ${opts.concurrency} in flight`,
      (opts.perItemCalls * opts.meanLatencyMs) / opts.concurrency / 1000,
    ]);
  const [bound, seconds] = candidates.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { seconds, bound };
}
