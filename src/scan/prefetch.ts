/**
 * Pull from an async iterable ahead of the consumer, holding at most `size` items, so a
 * provider's next page is fetched while the previous records are written to the store.
 * Memory stays bounded by `size`; an error from the source surfaces at the consumer.
 */
/** Items handed to the consumer between two turns of the event loop (a few ms of scan work). */
const YIELD_EVERY = 16;

export async function* prefetch<T>(
  source: AsyncIterable<T>,
  size: number,
  signal?: AbortSignal,
): AsyncGenerator<T> {
  const buffer: T[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  let stopped = false;
  let taken = 0;

  // An abort ends the iteration at once, even while the source is stuck in a slow call.
  const onAbort = () => wakeConsumer?.();
  signal?.addEventListener('abort', onAbort, { once: true });

  const pump = (async () => {
    try {
      for await (const item of source) {
        buffer.push(item);
        wakeConsumer?.();
        while (buffer.length >= size && !stopped) await new Promise<void>((r) => (wakeProducer = r));
        if (stopped) return;
      }
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      wakeConsumer?.();
    }
  })();

  try {
    for (;;) {
      if (signal?.aborted) return;
      if (buffer.length > 0) {
        const item = buffer.shift() as T;
        wakeProducer?.();
        yield item;
        // A store whose calls are synchronous (SQLite) resolves every await at once: without
        // this, a full buffer is processed in one go of microtasks and the provider's responses
        // (timers, sockets) wait behind it, stalling a sequential listing (issue 17).
        if (++taken % YIELD_EVERY === 0) await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      if (failure) throw failure.error;
      if (done) return;
      await new Promise<void>((r) => (wakeConsumer = r));
      wakeConsumer = undefined;
    }
  } finally {
    // The consumer stopped (end, break, abort, error). Do not wait for a slow source's pending
    // page: the producer returns (closing the source) as soon as that page arrives.
    stopped = true;
    signal?.removeEventListener('abort', onAbort);
    wakeProducer?.();
    void pump;
  }
}
