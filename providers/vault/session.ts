/**
 * Every Vault call goes through a VaultSession: the instance's shared read/write rate
 * limiters, the one retry policy, authentication (token or AppRole login with re-login on
 * expiry), and mapping of Vault answers to the shared error set.
 */
import type { Logger } from 'pino';
import { countRetry, timedCall } from '../../src/lib/call-metrics.js';
import { NotFoundError, ProviderError } from '../../src/lib/errors.js';
import { networkCause } from '../../src/lib/network-cause.js';
import { createRateLimiter, type RateLimiter } from '../../src/lib/rate-limit.js';
import { RETRYABLE_ERROR_CODES, type RetryPolicy, withRetry } from '../../src/lib/retry.js';
import { scrubError, stringsIn } from '../../src/lib/scrub.js';
import type { SecretValue } from '../../src/lib/secret.js';
import { type VaultHttp, type VaultRequest, VaultResponseError } from './client.js';
import { asObj, dataOf, escapeText } from './common.js';

export type VaultAuth =
  | { method: 'token'; token: SecretValue }
  | { method: 'approle'; roleId: string; secretId: SecretValue; mount: string };

export interface SessionOptions {
  http: VaultHttp;
  auth: VaultAuth;
  logger: Logger;
  readsPerSecond: number;
  writesPerSecond: number;
  retry?: RetryPolicy;
  now?: () => number;
  /** Who this session talks to (`vault instance "x" at URL`), named in connection and credential errors. */
  where?: string;
}

export interface CallOptions {
  /** Writes that create something must not be replayed after an ambiguous network failure. */
  replayable?: boolean;
  signal?: AbortSignal;
}

/** Vault statuses that mean "not applied, try again": rate limit quota, sealed/standby, gateways. */
const RETRYABLE_VAULT_STATUSES = new Set([429, 502, 503, 504]);

export function toProviderError(error: unknown, operation: string, where?: string): Error {
  if (error instanceof NotFoundError || error instanceof ProviderError) return error;
  const at = where ? ` (${where})` : '';
  if (error instanceof VaultResponseError) {
    const first = error.messages[0];
    // Vault error strings are server-authored; they are escaped and cut so nothing long or
    // terminal-active is carried into logs.
    const said = first ? `: ${escapeText(first.replace(/\s+/g, ' ').trim()).slice(0, 200)}` : '';
    if (error.status === 404) return new NotFoundError(`vault ${operation}: not found`, { cause: undefined });
    const sealed = error.status === 500 && error.messages.some((m) => /sealed/i.test(m));
    // A refused token or login is a credential problem of this instance: say which one.
    const credential = error.status === 401 || error.status === 403 || operation === 'approle login';
    return new ProviderError(
      `vault ${operation} failed with HTTP ${error.status}${said}${credential ? at : ''}`,
      {
        status: error.status,
        retryable: RETRYABLE_VAULT_STATUSES.has(error.status) || sealed,
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      },
    );
  }
  // Only Node's own facts (code, address) are kept as the cause: the request error from the
  // HTTP client can hold the request, and with it a token or the value being written.
  const cause = networkCause(error);
  if (cause) {
    const word = RETRYABLE_ERROR_CODES.has(cause.code) ? 'network error' : 'cannot connect:';
    return new ProviderError(`vault ${operation} failed: ${word} ${cause.code}${at}`, {
      retryable: RETRYABLE_ERROR_CODES.has(cause.code),
      cause,
    });
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new ProviderError(`vault ${operation} failed: ${escapeText(name)}${at}`, { cause: undefined });
}

export class VaultSession {
  readonly #opts: SessionOptions;
  readonly #reads: RateLimiter;
  readonly #writes: RateLimiter;
  #token: { value: string; refreshAt: number } | undefined;
  #login: Promise<string> | undefined;

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.#reads = createRateLimiter({ ratePerSecond: opts.readsPerSecond });
    this.#writes = createRateLimiter({ ratePerSecond: opts.writesPerSecond });
  }

  read(operation: string, req: VaultRequest, opts: CallOptions = {}): Promise<unknown> {
    return this.#call(operation, req, this.#reads, { replayable: true, ...opts });
  }

  write(operation: string, req: VaultRequest, opts: CallOptions = {}): Promise<unknown> {
    return this.#call(operation, req, this.#writes, { replayable: true, ...opts });
  }

  async #call(
    operation: string,
    req: VaultRequest,
    limiter: RateLimiter,
    opts: CallOptions,
  ): Promise<unknown> {
    let relogged = false;
    const attempt = async (): Promise<unknown> => {
      await limiter.acquire(opts.signal);
      const token = await this.#currentToken(opts.signal);
      try {
        return await timedCall({ provider: 'vault', operation }, () =>
          this.#opts.http.request({ ...req, headers: { ...req.headers, 'X-Vault-Token': token } }),
        );
      } catch (error) {
        // A server error text may echo the request: nothing sent (body, token) leaves in it.
        const mapped = scrubError(toProviderError(error, operation, this.#opts.where), [
          token,
          ...stringsIn(req.json),
        ]);
        if (
          this.#opts.auth.method === 'approle' &&
          !relogged &&
          mapped instanceof ProviderError &&
          mapped.status === 403
        ) {
          // The login token may have expired or been revoked: log in again once.
          relogged = true;
          this.#token = undefined;
          return attempt();
        }
        if (!opts.replayable && mapped instanceof ProviderError && mapped.status === undefined) {
          // A network failure after sending: the write may have happened. Surface it; the
          // caller's idempotency check (findIssued) decides on the next call.
          throw new ProviderError(`${mapped.message} (not replayed: the write may have taken effect)`, {
            cause: mapped.cause,
          });
        }
        throw mapped;
      }
    };
    return withRetry(attempt, {
      ...(this.#opts.retry ? { policy: this.#opts.retry } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onRetry: ({ attempt: n, delayMs, error }) => {
        countRetry({ provider: 'vault', operation });
        this.#opts.logger.debug(
          { operation, attempt: n, delayMs, error: error instanceof Error ? error.message : 'error' },
          'vault call retried',
        );
      },
    });
  }

  async #currentToken(signal?: AbortSignal): Promise<string> {
    const auth = this.#opts.auth;
    if (auth.method === 'token') return auth.token.reveal();
    const now = (this.#opts.now ?? Date.now)();
    if (this.#token && now < this.#token.refreshAt) return this.#token.value;
    this.#login ??= this.#loginWithAppRole(auth, signal).finally(() => {
      this.#login = undefined;
    });
    return this.#login;
  }

  async #loginWithAppRole(
    auth: Extract<VaultAuth, { method: 'approle' }>,
    signal?: AbortSignal,
  ): Promise<string> {
    const body = await withRetry(
      async () => {
        await this.#writes.acquire(signal);
        try {
          return await this.#opts.http.request({
            method: 'POST',
            path: `/auth/${encodePath(auth.mount)}/login`,
            json: { role_id: auth.roleId, secret_id: auth.secretId.reveal() },
          });
        } catch (error) {
          throw scrubError(toProviderError(error, 'approle login', this.#opts.where), [auth.secretId]);
        }
      },
      signal ? { signal } : {},
    );
    const authBlock = asObj(asObj(body).auth);
    const token = authBlock.client_token;
    if (typeof token !== 'string' || token === '')
      throw new ProviderError('vault approle login returned no token');
    const lease = typeof authBlock.lease_duration === 'number' ? authBlock.lease_duration : 0;
    const now = (this.#opts.now ?? Date.now)();
    // Renew by logging in again at 80% of the lease; a 0 lease never expires.
    this.#token = { value: token, refreshAt: lease > 0 ? now + lease * 800 : Number.POSITIVE_INFINITY };
    return token;
  }

  /**
   * Keys under a LIST path, page by page. OpenBao pages with `limit`/`after`; HashiCorp Vault
   * ignores them and returns everything. Both are handled: a page that ignored the limit ends
   * the walk, and a page holding keys at or before the cursor (a server that ignores `after`,
   * or one that loops) stops it, so a LIST can neither loop forever nor yield duplicates.
   */
  async *listKeys(
    operation: string,
    path: string,
    pageSize = 500,
    signal?: AbortSignal,
  ): AsyncGenerator<string> {
    let after: string | undefined;
    for (;;) {
      const query = `?limit=${pageSize}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`;
      let body: unknown;
      try {
        body = await this.read(
          operation,
          { method: 'LIST', path: `${path}${query}` },
          signal ? { signal } : {},
        );
      } catch (error) {
        if (error instanceof NotFoundError) return;
        throw error;
      }
      const raw = dataOf(body).keys;
      const keys = Array.isArray(raw) ? raw.filter((k): k is string => typeof k === 'string') : [];
      const warnings = asObj(body).warnings;
      const ignoredLimit =
        keys.length > pageSize ||
        (Array.isArray(warnings) && warnings.some((w) => typeof w === 'string' && w.includes('limit')));
      const cursor = after;
      if (cursor !== undefined && keys.some((k) => k <= cursor)) {
        // The server ignores `after` and repeats what was already yielded: stop here.
        this.#opts.logger.warn({ operation }, 'vault LIST ignored the paging cursor; listing stopped');
        return;
      }
      yield* keys;
      const last = keys[keys.length - 1];
      if (ignoredLimit || keys.length < pageSize || last === undefined) return;
      after = last;
    }
  }
}

export function encodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}
