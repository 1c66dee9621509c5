/**
 * Azure Key Vault provider: kind `secret` (secrets.ts, a KindAdapter; composeProvider in
 * src/provider-kinds.ts dispatches refs to it). One rate limiter pair (reads, writes) per
 * instance, every call in withRetry, SDK retries off, same-origin guard in the pipeline
 * (client.ts). Decisions: docs/adr/030-033.
 */

import { countRetry, timedCall } from '../../src/lib/call-metrics.js';
import { instanceLabel } from '../../src/lib/network-cause.js';
import { createRateLimiter, type RateLimiter } from '../../src/lib/rate-limit.js';
import { withRetry } from '../../src/lib/retry.js';
import type { CredentialKind, CredentialProvider, ProviderDeps } from '../../src/provider.js';
import { composeProvider, type KindAdapter } from '../../src/provider-kinds.js';
import { buildSecretClient, type SecretClientLike, toNhiError } from './client.js';
import type { ReadCall } from './paging.js';
import type { AzureInstanceConfig } from './schema.js';
import { createSecretKind } from './secrets.js';

export type { SecretClientLike } from './client.js';

/**
 * Defaults from Key Vault's published service limits (learn.microsoft.com/azure/key-vault/general/
 * service-limits: secrets, 4,000 transactions per 10 s per vault per region, all transaction types
 * together). Reads 360/s plus writes 20/s is 95 % of that 400/s, and a scan makes no writes. 32
 * calls in flight cover 360/s at up to ~85 ms a call. Lower them when other callers share the vault.
 */
export const AZURE_DEFAULT_RATES = { readsPerSecond: 360, writesPerSecond: 20, concurrency: 32 } as const;

export interface AzureProviderOptions {
  /** Inject a client (tests, engine fakes); default builds a SecretClient from config. */
  client?: SecretClientLike;
}

export function createAzureProvider(
  config: AzureInstanceConfig,
  instance: string,
  deps: ProviderDeps,
  options: AzureProviderOptions = {},
): CredentialProvider {
  // Every log line of this instance names it, as the Vault and AWS providers do.
  deps = { ...deps, logger: deps.logger.child({ provider: 'azure', instance }) };
  const client = options.client ?? buildSecretClient(config);
  const rate = { ...AZURE_DEFAULT_RATES, ...config.rateLimit };
  // Key Vault counts transactions per 10 s window: a tenth of a second's burst on top of the
  // refill keeps every window under 10.1 s worth, so a budget near the quota is not throttled
  // in its first window (a full second's burst would be).
  const limiter = (ratePerSecond: number) =>
    createRateLimiter({ ratePerSecond, burst: Math.max(1, Math.floor(ratePerSecond / 10)) });
  const readLimiter = limiter(rate.readsPerSecond);
  const writeLimiter = limiter(rate.writesPerSecond);
  const now = deps.now ?? (() => new Date());
  const where = instanceLabel('azure', instance, config.vaultUrl);

  const callWith =
    (limiter: RateLimiter): ReadCall =>
    (op, what, fn) =>
      withRetry(
        async () => {
          await limiter.acquire();
          try {
            return await timedCall({ provider: 'azure', operation: op }, fn);
          } catch (error) {
            throw toNhiError(error, op, what, where);
          }
        },
        {
          onRetry: ({ attempt, delayMs }) => {
            countRetry({ provider: 'azure', operation: op });
            deps.logger.debug({ op, what, attempt, delayMs }, 'azure call retried');
          },
        },
      );

  const secrets = createSecretKind({
    client,
    instance,
    ownerTagKeys: deps.ownerTagKeys,
    logger: deps.logger,
    fingerprint: deps.fingerprint,
    concurrency: rate.concurrency,
    read: callWith(readLimiter),
    write: callWith(writeLimiter),
    now,
  });

  const kinds = new Map<CredentialKind, KindAdapter>();
  if (config.kinds.includes('secret')) kinds.set('secret', secrets);
  return composeProvider({ type: 'azure', instance, kinds });
}
