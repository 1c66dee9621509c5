/**
 * Map an async iterable through `fn` with at most `limit` calls in flight, yielding
 * results in input order. Only `limit` items are buffered, so memory stays flat however
 * many identities a provider holds.
 */
export async function* mapConcurrent<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const inFlight: Promise<R>[] = [];
  for await (const item of source) {
    const pending = fn(item);
    // Observed later in order; this stops an early rejection being reported as unhandled.
    pending.catch(() => undefined);
    inFlight.push(pending);
    if (inFlight.length >= limit) yield await (inFlight.shift() as Promise<R>);
  }
  while (inFlight.length > 0) yield await (inFlight.shift() as Promise<R>);
}
