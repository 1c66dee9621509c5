/**
 * Map an async iterable through `fn` with at most `limit` calls in flight.
 *
 * Two things keep every slot busy (issue 17: the inline version drained all slots at each page
 * boundary, and one slow call held back the finished ones behind it):
 * - a separate reader pulls the source up to `limit` items ahead, so the next page of a
 *   paginated listing is fetched while the previous page's items are still in flight;
 * - results are yielded in completion order. `ordered: true` keeps input order for callers whose
 *   output order is part of their contract (a freed slot is still refilled at once; only the
 *   yield waits for the oldest call).
 * At most `limit` items are queued and `2 x limit` started but not yet read, so memory stays flat
 * however many identities a provider holds.
 */
export interface MapOptions {
  ordered?: boolean;
}

/** Vault's listings keep input order: their tests and `findByKey` read results in listing order. */
export const ORDERED: MapOptions = { ordered: true };

type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export async function* mapConcurrent<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
  opts: MapOptions = {},
): AsyncGenerator<R> {
  const it: AsyncIterator<T> | Iterator<T> =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (source as Iterable<T>)[Symbol.iterator]();
  const queued: T[] = [];
  const settled = new Map<number, Settled<R>>();
  let started = 0;
  let yielded = 0;
  let arrived = 0;
  let inFlight = 0;
  let sourceDone = false;
  let sourceError: { error: unknown } | undefined;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeReader: (() => void) | undefined;
  const wake = (w: (() => void) | undefined) => w?.();

  const start = () => {
    while (!stopped && inFlight < limit && queued.length > 0 && started - yielded < 2 * limit) {
      const item = queued.shift() as T;
      const seq = started++;
      inFlight++;
      const settle = (s: Settled<R>) => {
        inFlight--;
        // Completion order numbers results as they arrive; input order keeps the start number.
        settled.set(opts.ordered ? seq : arrived++, s);
        start();
        const w = wakeConsumer;
        wakeConsumer = undefined;
        wake(w);
      };
      fn(item).then(
        (value) => settle({ ok: true, value }),
        (error) => settle({ ok: false, error }),
      );
    }
    const r = wakeReader;
    wakeReader = undefined;
    wake(r);
  };

  const reader = (async () => {
    try {
      while (!stopped) {
        if (queued.length >= limit) {
          await new Promise<void>((r) => (wakeReader = r));
          continue;
        }
        const r = await it.next();
        if (r.done || stopped) return;
        queued.push(r.value);
        start();
      }
    } catch (error) {
      sourceError = { error };
    } finally {
      sourceDone = true;
      const w = wakeConsumer;
      wakeConsumer = undefined;
      wake(w);
    }
  })();

  try {
    for (;;) {
      const next = settled.get(yielded);
      if (next) {
        settled.delete(yielded);
        yielded++;
        start();
        if (!next.ok) throw next.error;
        yield next.value;
        continue;
      }
      if (sourceError) throw sourceError.error;
      if (sourceDone && inFlight === 0 && queued.length === 0 && settled.size === 0) return;
      await new Promise<void>((r) => (wakeConsumer = r));
    }
  } finally {
    stopped = true;
    const r = wakeReader;
    wakeReader = undefined;
    wake(r);
    // Do not wait for a slow source's pending page: it is closed once that page arrives.
    void reader.then(() => (it as AsyncIterator<T>).return?.()).catch(() => undefined);
  }
}
