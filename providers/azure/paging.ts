/**
 * Page-by-page walking of Key Vault list operations with the guards a hostile or broken server
 * needs: a nextLink to another origin is refused before it is fetched, a repeating nextLink or a
 * run of empty pages that still carry one ends the walk, and a failed page fetch is retried from
 * the last good continuation token (the SDK's iterator is dead after it throws).
 */
import type { Logger } from 'pino';
import { ProviderError } from '../../src/lib/errors.js';

export type ContinuablePage<T> = T[] & { continuationToken?: string };
export type PageOpener<T> = (continuationToken: string | undefined) => AsyncIterableIterator<ContinuablePage<T>>;
export type ReadCall = <R>(op: string, what: string, fn: () => Promise<R>) => Promise<R>;

/** Consecutive empty pages that still name a next page before we give up on the listing. */
export const MAX_EMPTY_PAGES = 5;
/** Recent continuation tokens remembered to spot a short loop (A -> B -> A) with flat memory. */
const RECENT_TOKENS = 16;

export interface PageWalkOptions {
  op: string;
  what: string;
  vaultUrl: string;
  logger: Logger;
  read: ReadCall;
}

export async function* walkPages<T>(open: PageOpener<T>, opts: PageWalkOptions): AsyncGenerator<T[]> {
  const origin = new URL(opts.vaultUrl).origin;
  let token: string | undefined;
  let iterator: AsyncIterableIterator<ContinuablePage<T>> | undefined;
  const recent: string[] = [];
  let empties = 0;
  try {
    for (;;) {
      const result = await opts.read(opts.op, opts.what, async () => {
        try {
          iterator ??= open(token);
          return await iterator.next();
        } catch (error) {
          iterator = undefined;
          throw error;
        }
      });
      if (result.done) return;
      const page = result.value;
      yield Array.from(page);
      const next = page.continuationToken;
      if (!next) return;
      let nextOrigin: string | undefined;
      try {
        nextOrigin = new URL(next, opts.vaultUrl).origin;
      } catch {
        nextOrigin = undefined;
      }
      if (nextOrigin !== origin) {
        throw new ProviderError(
          `azure ${opts.op} ${opts.what}: refused to follow a nextLink to ${JSON.stringify(nextOrigin ?? 'an unparsable URL')}, not the configured vault`,
          { retryable: false },
        );
      }
      if (recent.includes(next)) {
        opts.logger.warn({ op: opts.op, what: opts.what }, 'azure listing repeated a nextLink; stopping this listing');
        return;
      }
      empties = page.length === 0 ? empties + 1 : 0;
      if (empties >= MAX_EMPTY_PAGES) {
        opts.logger.warn(
          { op: opts.op, what: opts.what, emptyPages: empties },
          'azure listing returned empty pages that still carry a nextLink; stopping this listing',
        );
        return;
      }
      recent.push(next);
      if (recent.length > RECENT_TOKENS) recent.shift();
      token = next;
    }
  } finally {
    await iterator?.return?.();
  }
}
