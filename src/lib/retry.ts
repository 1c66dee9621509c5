import { ProviderError } from './errors.js';
import { sleep } from './rate-limit.js';

/**
 * The one retry/backoff policy. Retryable vs permanent is decided in one table
 * (isRetryable); only the final attempt surfaces the error.
 */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 20_000 };

/** Error names / codes the providers use for "slow down" or "try again". */
export const RETRYABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  // AWS
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalServiceError',
  'InternalFailure',
  // Node networking
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** HTTP statuses worth retrying: 429 everywhere, Vault 503 (sealed/standby), gateway errors. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryable(err: unknown): boolean {
  if (err instanceof ProviderError) return err.retryable;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as {
    name?: unknown;
    code?: unknown;
    statusCode?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if (typeof e.name === 'string' && RETRYABLE_ERROR_CODES.has(e.name)) return true;
  if (typeof e.code === 'string' && RETRYABLE_ERROR_CODES.has(e.code)) return true;
  const status = typeof e.statusCode === 'number' ? e.statusCode : e.$metadata?.httpStatusCode;
  return typeof status === 'number' && RETRYABLE_STATUSES.has(status);
}

/** Seconds from a Retry-After value (delta-seconds or HTTP date). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return secs;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

/** Full-jitter exponential backoff, or the provider's Retry-After when it gave one. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, retryAfterSeconds?: number): number {
  if (retryAfterSeconds !== undefined) return Math.min(policy.maxDelayMs, retryAfterSeconds * 1000);
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(Math.random() * cap) + 1;
}

export interface RetryOptions {
  policy?: RetryPolicy;
  signal?: AbortSignal;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const policy = opts.policy ?? DEFAULT_RETRY;
  const wait = opts.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const isFinalAttempt = attempt >= policy.attempts;
      if (isFinalAttempt || !isRetryable(error)) throw error;
      const retryAfter = error instanceof ProviderError ? error.retryAfterSeconds : undefined;
      const delayMs = backoffDelayMs(attempt, policy, retryAfter);
      opts.onRetry?.({ attempt, delayMs, error });
      await wait(delayMs, opts.signal);
    }
  }
}
