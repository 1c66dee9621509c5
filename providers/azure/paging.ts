/**
 * Page-by-page walking of Key Vault list operations with the guards a hostile or broken server
 * needs: a nextLink to another origin is refused before it is fetched, a repeating nextLink or a
 * run of empty pages that still carry one ends the walk, and a failed page fetch is retried from
 * the last good nextLink (the SDK's iterator is dead after it throws).
 *
 * The SDK's `byPage()` follows nextLink itself and (keyvault-secrets 4.11) drops each page's
 * `continuationToken` when it maps the items, so the walker cannot see the link from the page.
 * `nextLinkCapturePolicy` (installed by client.ts) reads it from the list response inside the
 * walker's AsyncLocalStorage context instead. Clients without that policy (plain fakes) may set
 * `continuationToken` on their pages; without either, the walk just follows the SDK to the end.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { Logger } from 'pino';
import { ProviderError } from '../../src/lib/errors.js';

export type ContinuablePage<T> = T[] & { continuationToken?: string };
export type PageOpener<T> = (
  continuationToken: string | undefined,
) => AsyncIterableIterator<ContinuablePage<T>>;
export type ReadCall = <R>(op: string, what: string, fn: () => Promise<R>) => Promise<R>;

/** Consecutive empty pages that still name a next page before we give up on the listing. */
export const MAX_EMPTY_PAGES = 10;
/** Recent continuation tokens remembered to spot a short loop (A -> B -> A) with flat memory. */
const RECENT_TOKENS = 16;

export interface PageWalkOptions {
  op: string;
  what: string;
  vaultUrl: string;
  logger: Logger;
  read: ReadCall;
}

interface WalkState {
  nextLink: string | undefined;
  /** The capture policy parsed this page's response, so `nextLink` is known, not just absent. */
  captured: boolean;
}
const walkContext = new AsyncLocalStorage<WalkState>();

/** Records the nextLink of list responses fetched inside a walk (list bodies carry no secret values). */
export function nextLinkCapturePolicy(): PipelinePolicy {
  return {
    name: 'nhiNextLinkCapturePolicy',
    async sendRequest(request, next) {
      const response = await next(request);
      const state = walkContext.getStore();
      if (state && request.method === 'GET' && response.status === 200 && response.bodyAsText) {
        try {
          const link = (JSON.parse(response.bodyAsText) as { nextLink?: unknown }).nextLink;
          state.nextLink = typeof link === 'string' && link.length > 0 ? link : undefined;
          state.captured = true;
        } catch {
          state.nextLink = undefined;
        }
      }
      return response;
    },
  };
}

export async function* walkPages<T>(open: PageOpener<T>, opts: PageWalkOptions): AsyncGenerator<T[]> {
  const origin = new URL(opts.vaultUrl).origin;
  const state: WalkState = { nextLink: undefined, captured: false };
  let token: string | undefined;
  let iterator: AsyncIterableIterator<ContinuablePage<T>> | undefined;
  const recent: string[] = [];
  let empties = 0;
  try {
    for (;;) {
      state.nextLink = undefined;
      state.captured = false;
      const result = await opts.read(opts.op, opts.what, () =>
        walkContext.run(state, async () => {
          try {
            iterator ??= open(token);
            return await iterator.next();
          } catch (error) {
            iterator = undefined;
            throw error;
          }
        }),
      );
      if (result.done) return;
      const page = result.value;
      yield Array.from(page);
      empties = page.length === 0 ? empties + 1 : 0;
      if (empties >= MAX_EMPTY_PAGES) {
        opts.logger.warn(
          { op: opts.op, what: opts.what, emptyPages: empties },
          'azure listing returned empty pages that still carry a nextLink; stopping this listing',
        );
        return;
      }
      const next = state.nextLink ?? page.continuationToken;
      // The last page is known when the response said so (captured) or the page carries its
      // token field, undefined. Asking the SDK for the next page then sends no request, but going
      // through `read` would still spend a rate-limiter token: two per secret in inventory's
      // per-secret version listing, which halved Azure throughput (issue 17).
      if (next === undefined && (state.captured || Object.hasOwn(page, 'continuationToken'))) return;
      if (next === undefined) continue;
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
        opts.logger.warn(
          { op: opts.op, what: opts.what },
          'azure listing repeated a nextLink; stopping this listing',
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
