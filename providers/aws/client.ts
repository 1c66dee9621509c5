/**
 * The AWS plumbing every kind shares: narrow client shapes, one call wrapper (rate limit +
 * retry + error mapping), a pagination guard, and the idempotency-token derivation.
 */

import { createHash } from 'node:crypto';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { Logger } from 'pino';
import { countRetry, timedCall } from '../../src/lib/call-metrics.js';
import { ConfigError, ProviderError } from '../../src/lib/errors.js';
import type { FaultPoints } from '../../src/lib/failpoint.js';
import type { Fingerprinter } from '../../src/lib/fingerprint.js';
import { instanceLabel } from '../../src/lib/network-cause.js';
import { own, recordFrom } from '../../src/lib/own.js';
import { createRateLimiter, type RateLimiter } from '../../src/lib/rate-limit.js';
import { withRetry } from '../../src/lib/retry.js';
import { scrubError, stringsIn } from '../../src/lib/scrub.js';
import { mapAwsError } from './errors.js';
import type { AwsInstanceConfig } from './schema.js';
import { iamSdk, secretsManagerSdk } from './sdk.js';

/** What the adapter needs of an AWS SDK v3 client: `send`. Tests pass plain objects. */
export interface SecretsManagerLike {
  send(command: object): Promise<unknown>;
}
export interface IamLike {
  send(command: object): Promise<unknown>;
}
export interface AwsClients {
  secretsManager: SecretsManagerLike;
  iam: IamLike;
}

/**
 * Default budgets from the published quotas (per account and region; sources in ADR 023 and
 * docs/adr/090-performance.md), at 90 % of the quota where a scan is bound by it.
 */
export const DEFAULT_RATES = {
  /**
   * ListSecrets: 100/s quota (Secrets Manager quotas), up to 100 secrets a page (inventory's only
   * Secrets Manager call). 90/s with a tenth-of-a-second burst stays under 100 in any second.
   */
  smList: 90,
  /** DescribeSecret, GetSecretValue: 10,000/s combined quota. */
  smRead: 500,
  /**
   * ListSecretVersionIds (describe, activitySince): listed under its own, much lower quota,
   * whose value we could not confirm (ADR 023); kept conservative. `secrets.versionListPerSecond`.
   */
  smVersions: 40,
  /**
   * PutSecretValue, UpdateSecret, UpdateSecretVersionStage: 50/s combined quota (CreateSecret,
   * also under this budget, has its own 50/s). 90 %, with a tenth-of-a-second burst, like
   * ListSecrets: an incident's recoveries are bound by it (5 writes per secret).
   */
  smWrite: 45,
  /** IAM control plane: roughly 10-20/s before throttling. */
  iamRead: 10,
  iamWrite: 5,
  concurrency: 8,
} as const;

export type Budget = 'smList' | 'smRead' | 'smVersions' | 'smWrite' | 'iamRead' | 'iamWrite';

export function createLimiters(config: AwsInstanceConfig): Record<Budget, RateLimiter> {
  const sm = config.rateLimit;
  const iam = config.iam.rateLimit;
  const smRead = sm.readsPerSecond ?? DEFAULT_RATES.smRead;
  return {
    smList: perSecondLimiter(Math.min(smRead, DEFAULT_RATES.smList)),
    smRead: createRateLimiter({ ratePerSecond: smRead }),
    // An explicit setting wins; the default is also capped by the read budget.
    smVersions: perSecondLimiter(
      config.secrets.versionListPerSecond ?? Math.min(smRead, DEFAULT_RATES.smVersions),
    ),
    smWrite: perSecondLimiter(sm.writesPerSecond ?? DEFAULT_RATES.smWrite),
    iamRead: createRateLimiter({ ratePerSecond: iam.readsPerSecond ?? DEFAULT_RATES.iamRead }),
    iamWrite: createRateLimiter({ ratePerSecond: iam.writesPerSecond ?? DEFAULT_RATES.iamWrite }),
  };
}

/**
 * AWS counts requests per second: a bucket holding a full second's worth on top of the refill
 * could send almost twice the rate in the first second and be throttled. A tenth of a second's
 * worth keeps every one-second window under 1.1 x the rate.
 */
function perSecondLimiter(ratePerSecond: number): RateLimiter {
  return createRateLimiter({ ratePerSecond, burst: Math.max(1, Math.floor(ratePerSecond / 10)) });
}

export function createSdkClients(config: AwsInstanceConfig): AwsClients {
  const creds = config.credentials;
  const common = {
    region: config.region,
    // withRetry is the one retry policy; the SDK's own retries would multiply attempts.
    maxAttempts: 1,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(creds.method === 'static'
      ? {
          credentials: async () => {
            if (!creds.secretAccessKey.resolved) {
              throw new ConfigError(
                `aws secretAccessKey ${creds.secretAccessKey.source ?? ''} was not resolved`,
              );
            }
            return {
              accessKeyId: creds.accessKeyId,
              secretAccessKey: creds.secretAccessKey.reveal(),
              ...(creds.sessionToken ? { sessionToken: creds.sessionToken.reveal() } : {}),
            };
          },
        }
      : creds.profile
        ? { profile: creds.profile }
        : {}),
  };
  // The IAM SDK is loaded and its client built on the first IAM call: a secret-only instance
  // never pays for it (issue 17: loading @aws-sdk/client-iam was ~70 ms of every start).
  let iam: IAMClient | undefined;
  return {
    secretsManager: new (secretsManagerSdk().SecretsManagerClient)(common),
    iam: {
      send: async (command) => {
        iam ??= new (iamSdk().IAMClient)(common);
        return iam.send(command as never);
      },
    },
  };
}

export interface AwsCaller {
  /** Send one command under a budget, with retry; errors come back mapped. */
  call<T>(
    budget: Budget,
    client: SecretsManagerLike | IamLike,
    command: object,
    target: string,
    signal?: AbortSignal,
  ): Promise<T>;
}

/** `where`: who the calls go to (`aws instance "x" at URL`), named in connection and credential errors. */
export function createCaller(
  limiters: Record<Budget, RateLimiter>,
  logger: Logger,
  where?: string,
): AwsCaller {
  return {
    async call<T>(
      budget: Budget,
      client: SecretsManagerLike,
      command: object,
      target: string,
      signal?: AbortSignal,
    ) {
      const operation = command.constructor.name.replace(/Command$/, '');
      const label = { provider: 'aws', operation } as const;
      const sent = secretsSentBy(command);
      return withRetry(
        async () => {
          await limiters[budget].acquire(signal);
          try {
            return (await timedCall(label, () => client.send(command))) as T;
          } catch (err) {
            // The error name comes from the response and can echo the request: scrub what was
            // sent before the retry log or a caller sees it (docs/adr/043-faults-and-scrubbing.md).
            throw scrubError(mapAwsError(err, operation, target, where), sent);
          }
        },
        {
          ...(signal ? { signal } : {}),
          onRetry: ({ attempt, delayMs, error }) => {
            countRetry(label);
            logger.warn({ operation, attempt, delayMs, err: String(error) }, 'aws call retried');
          },
        },
      );
    },
  };
}

/**
 * The secret values a command sends: a Secrets Manager write's SecretString (and, when it holds
 * a JSON object such as a delivered access key pair, its string leaves) or SecretBinary. Only
 * these fields: names and tokens in the input stay readable in error messages.
 */
export function secretsSentBy(command: object): string[] {
  const input = (command as { input?: { SecretString?: unknown; SecretBinary?: unknown } }).input;
  const out: string[] = [];
  if (typeof input?.SecretString === 'string' && input.SecretString !== '') {
    out.push(input.SecretString);
    try {
      const parsed: unknown = JSON.parse(input.SecretString);
      if (parsed && typeof parsed === 'object') stringsIn(parsed, out);
    } catch {
      // not JSON: the whole string is the value
    }
  }
  if (input?.SecretBinary instanceof Uint8Array && input.SecretBinary.length > 0) {
    out.push(Buffer.from(input.SecretBinary).toString('base64'));
  }
  return out;
}

/** Consecutive empty pages (each with a fresh token) tolerated before the listing is abandoned. */
export const MAX_EMPTY_PAGES = 100;

/**
 * Walk a paginated listing. Filtered AWS listings may return empty pages that still carry a
 * token, so emptiness alone does not end it; a repeated token, or too many empty pages in a
 * row, throws instead of looping forever. Throwing (not a silent stop) keeps a truncated
 * listing from being taken for a complete one by the scan.
 *
 * The next page is requested as soon as a page arrives, before its items are handed on: the
 * listing is sequential (each token comes from the page before), so a page fetched only once the
 * consumer had taken the last item left the provider idle while items were processed (issue 17:
 * the AWS scan was bound by exactly that). At most one page is held ahead.
 */
export async function* paginate<T>(
  what: string,
  fetchPage: (token: string | undefined) => Promise<{ items: readonly T[]; next: string | undefined }>,
): AsyncGenerator<T> {
  const seen = new Set<string>();
  let emptyPages = 0;
  let pending = fetchPage(undefined);
  for (;;) {
    const { items, next } = await pending;
    let stop: ProviderError | undefined;
    const more = typeof next === 'string' && next !== '';
    if (more) {
      emptyPages = items.length === 0 ? emptyPages + 1 : 0;
      if (seen.has(next)) {
        stop = new ProviderError(
          `aws ${what}: the service repeated a page token; stopped to avoid an endless listing`,
        );
      } else if (emptyPages >= MAX_EMPTY_PAGES) {
        stop = new ProviderError(`aws ${what}: ${MAX_EMPTY_PAGES} empty pages in a row; stopped the listing`);
      } else {
        seen.add(next);
        pending = fetchPage(next);
        // Handled here so a consumer that stops early leaves no unhandled rejection behind;
        // awaiting `pending` above still throws its error.
        pending.catch(() => undefined);
      }
    }
    // This page's items first, then the error: as before, nothing listed is withheld.
    for (const item of items) yield item;
    if (stop) throw stop;
    if (!more) return;
  }
}

/**
 * A deterministic ClientRequestToken for an idempotency key: SHA-256 shaped as a UUID
 * (version nibble 8, RFC 4122 variant), 36 characters, inside the API's 32-64 range. The
 * same key always gives the same token, so a replayed write is recognised by AWS and the
 * version can be looked up by id (version id == token).
 */
export function requestToken(purpose: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`nhi-reissue\u0000${purpose}\u0000${idempotencyKey}`).digest('hex');
  const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A name from the provider is usable in a ref only without control characters (parseRef
 * would refuse it, and it could forge log lines). Skipped names are logged JSON-escaped.
 */
export function usableName(name: unknown, what: string, logger: Logger): name is string {
  if (typeof name === 'string' && name.length > 0 && !CONTROL.test(name)) return true;
  logger.warn(
    { name: JSON.stringify(String(name)).slice(0, 300), what },
    'skipped an identity with an unusable name',
  );
  return false;
}

/** ISO-8601 from whatever the SDK (or a fake) gave: Date, string or epoch. Invalid -> undefined. */
export function iso(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const d = value instanceof Date ? value : new Date(value as string | number);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Tags as a record; every key stays an own entry (a tag named `__proto__` is kept as a tag). */
export function tagRecord(tags: unknown): Record<string, string> {
  if (!Array.isArray(tags)) return {};
  const pairs: [string, string][] = [];
  for (const t of tags as { Key?: unknown; Value?: unknown }[]) {
    if (typeof t?.Key === 'string') pairs.push([t.Key, typeof t.Value === 'string' ? t.Value : '']);
  }
  return recordFrom(pairs);
}

/** First owner tag key present wins; a value may list several principals, comma-separated. */
export function ownersFromTags(tags: Record<string, string>, keys: readonly string[]): string[] {
  for (const key of keys) {
    const value = own(tags, key);
    if (typeof value !== 'string') continue;
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  return [];
}

/** Everything a kind module needs from its provider instance. */
export interface AwsKindContext {
  instance: string;
  config: AwsInstanceConfig;
  clients: AwsClients;
  caller: AwsCaller;
  logger: Logger;
  fingerprint: Fingerprinter;
  ownerTagKeys: readonly string[];
  concurrency: number;
  now: () => Date;
  /** Crash-test points inside multi-call operations (IAM reissue); inert outside tests. */
  faults: FaultPoints;
}

/** The instance and where it points: the endpoint if set, else the region's AWS endpoints. */
export function awsInstanceLabel(
  instance: string,
  config: Pick<AwsInstanceConfig, 'endpoint' | 'region'>,
): string {
  return instanceLabel('aws', instance, config.endpoint ?? `region ${config.region}`);
}
