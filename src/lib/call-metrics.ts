/**
 * Provider calls as the operations endpoint counts them (`/metrics`, src/ops/metrics.ts): every
 * request a provider adapter sends, by provider, operation and outcome, with its latency (the
 * request only: a rate limiter's wait is not the provider's latency), plus retries. Adapters
 * report through timedCall / countRetry; with no observer set (a CLI run) both cost nothing.
 * Labels are names only — never a ref, a path or anything a request carried.
 */
export interface CallLabel {
  provider: 'aws' | 'vault' | 'azure';
  operation: string;
}

export type CallOutcome = 'ok' | 'error' | 'throttled';

export interface ProviderCallObserver {
  call(label: CallLabel, outcome: CallOutcome, seconds: number): void;
  retry(label: CallLabel): void;
}

let observer: ProviderCallObserver | undefined;

/** Set by the process that serves /metrics; returns the function that unsets it. */
export function observeProviderCalls(o: ProviderCallObserver): () => void {
  observer = o;
  return () => {
    if (observer === o) observer = undefined;
  };
}

/** A provider's "slow down": HTTP 429 or a throttling error name (AWS). */
export function isThrottle(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as {
    name?: unknown;
    status?: unknown;
    statusCode?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.status ?? e.statusCode ?? e.$metadata?.httpStatusCode;
  return (
    status === 429 ||
    (typeof e.name === 'string' && /Throttl|TooManyRequests|RequestLimitExceeded/.test(e.name))
  );
}

export async function timedCall<T>(label: CallLabel, send: () => Promise<T>): Promise<T> {
  const o = observer;
  if (!o) return send();
  const t0 = performance.now();
  try {
    const result = await send();
    o.call(label, 'ok', (performance.now() - t0) / 1000);
    return result;
  } catch (error) {
    o.call(label, isThrottle(error) ? 'throttled' : 'error', (performance.now() - t0) / 1000);
    throw error;
  }
}

export function countRetry(label: CallLabel): void {
  observer?.retry(label);
}
