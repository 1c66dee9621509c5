/**
 * Azure Key Vault provider: kind `secret` (see secrets.ts). One rate limiter pair (reads,
 * writes) per instance, every call in withRetry, SDK retries off, same-origin guard in the
 * pipeline (client.ts). Decisions: docs/adr/030-033.
 */
import { UsageError } from '../../src/lib/errors.js';
import { instanceLabel } from '../../src/lib/network-cause.js';
import { createRateLimiter, type RateLimiter } from '../../src/lib/rate-limit.js';
import { formatRef } from '../../src/lib/ref.js';
import { withRetry } from '../../src/lib/retry.js';
import type {
  CredentialProvider,
  CredentialRef,
  KindCapabilities,
  ProviderCapabilities,
  ProviderDeps,
} from '../../src/provider.js';
import { buildSecretClient, type SecretClientLike, toNhiError } from './client.js';
import type { ReadCall } from './paging.js';
import type { AzureInstanceConfig } from './schema.js';
import { createSecretKind } from './secrets.js';

export type { SecretClientLike } from './client.js';

/**
 * Defaults well under Key Vault's published limits (secrets: 4,000 GET / 300 write-type
 * transactions per 10 s per vault, shared with every other caller of the vault).
 */
export const AZURE_DEFAULT_RATES = { readsPerSecond: 50, writesPerSecond: 10, concurrency: 8 } as const;

export const AZURE_SECRET_CAPABILITIES: KindCapabilities = {
  inventory: true,
  revoke: true,
  reissue: true,
  verify: true,
  // Key Vault keeps no per-secret access record outside diagnostic logs.
  activity: false,
  // Discard disables the unverified version: Key Vault cannot delete a single version.
  discard: true,
  revokeModes: ['disable'],
};

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
  const client = options.client ?? buildSecretClient(config);
  const rate = { ...AZURE_DEFAULT_RATES, ...config.rateLimit };
  const readLimiter = createRateLimiter({ ratePerSecond: rate.readsPerSecond });
  const writeLimiter = createRateLimiter({ ratePerSecond: rate.writesPerSecond });
  const now = deps.now ?? (() => new Date());
  const where = instanceLabel('azure', instance, config.vaultUrl);

  const callWith =
    (limiter: RateLimiter): ReadCall =>
    (op, what, fn) =>
      withRetry(
        async () => {
          await limiter.acquire();
          try {
            return await fn();
          } catch (error) {
            throw toNhiError(error, op, what, where);
          }
        },
        {
          onRetry: ({ attempt, delayMs }) =>
            deps.logger.debug({ op, what, attempt, delayMs }, 'azure call retried'),
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

  function nameOf(ref: CredentialRef): string {
    if (ref.instance !== instance) {
      throw new UsageError(`ref ${formatRef(ref)} belongs to instance "${ref.instance}", not "${instance}"`);
    }
    if (ref.kind !== 'secret' || !config.kinds.includes('secret')) {
      throw new UsageError(`azure instance "${instance}" has no credential kind ${JSON.stringify(ref.kind)}`);
    }
    return ref.locator;
  }

  const capabilities: ProviderCapabilities = config.kinds.includes('secret')
    ? { secret: AZURE_SECRET_CAPABILITIES }
    : {};

  return {
    type: 'azure',
    instance,
    capabilities,
    async *inventory(opts) {
      if (!config.kinds.includes('secret')) return;
      for await (const rec of secrets.inventory()) {
        opts?.signal?.throwIfAborted();
        yield rec;
      }
    },
    describe: (ref) => secrets.describe(nameOf(ref)),
    revoke: (ref, versionIds, ctx) => secrets.revoke(nameOf(ref), versionIds, ctx),
    reissue: (ref, ctx) => secrets.reissue(nameOf(ref), ctx),
    findIssued: (ref, key) => secrets.findIssued(nameOf(ref), key),
    verify: (ref, issued) => secrets.verify(nameOf(ref), issued),
    discard: (ref, issued, ctx) => secrets.discard(nameOf(ref), issued, ctx),
  };
}
