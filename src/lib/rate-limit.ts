/**
 * Token-bucket limiter. One per provider instance and budget (reads, writes), shared by
 * every caller of that instance, so concurrent describe calls cannot exceed the
 * provider's published quota. Waiters are served in FIFO order.
 */
export interface RateLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
  readonly ratePerSecond: number;
}

export interface RateLimiterOptions {
  ratePerSecond: number;
  /** Bucket size; defaults to one second's worth (at least 1). */
  burst?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const rate = opts.ratePerSecond;
  if (!(rate > 0)) throw new RangeError('ratePerSecond must be > 0');
  const burst = Math.max(1, opts.burst ?? Math.floor(rate));
  const now = opts.now ?? (() => performance.now());
  const wait = opts.sleep ?? sleep;
  let tokens = burst;
  let last = now();
  let queue: Promise<void> = Promise.resolve();

  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * rate);
    last = t;
  };

  const takeOne = async (signal?: AbortSignal) => {
    refill();
    while (tokens < 1) {
      await wait(Math.ceil(((1 - tokens) / rate) * 1000), signal);
      refill();
    }
    tokens -= 1;
  };

  return {
    ratePerSecond: rate,
    acquire(signal) {
      // Chain acquisitions so waiters are served in order and never race for one token.
      const next = queue.then(() => takeOne(signal));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
