/**
 * The Vault provider: one session (auth, shared read/write budgets, retry) per instance,
 * and one module per kind (kv, approle, token, entity). Refs are dispatched by kind.
 */
import { NotFoundError, UsageError } from '../../src/lib/errors.js';
import { instanceLabel } from '../../src/lib/network-cause.js';
import type { CredentialRef } from '../../src/lib/ref.js';
import type {
  CredentialKind,
  CredentialProvider,
  IdentityRecord,
  ProviderCapabilities,
  ProviderDeps,
} from '../../src/provider.js';
import { createAppRoleKind } from './approle.js';
import { createNodeVaultHttp, type VaultHttp } from './client.js';
import { createEntityKind } from './entity.js';
import type { VaultKind, VaultKindContext } from './kind.js';
import { createKvKind } from './kv.js';
import { PolicyHints } from './policies.js';
import type { VaultInstanceConfig } from './schema.js';
import { VaultSession } from './session.js';
import { createTokenKind } from './token.js';

/** Well under what a default Vault serves; Vault has no global quota unless an operator sets one. */
export const VAULT_DEFAULT_LIMITS = { readsPerSecond: 50, writesPerSecond: 10, concurrency: 8 } as const;

type VaultKindName = VaultInstanceConfig['kinds'][number];

const FACTORIES: Record<VaultKindName, (ctx: VaultKindContext) => VaultKind> = {
  kv: createKvKind,
  approle: createAppRoleKind,
  token: createTokenKind,
  entity: createEntityKind,
};

export interface VaultProviderOverrides {
  /** A plain object in tests; node-vault otherwise. */
  http?: VaultHttp;
}

export function createVaultProvider(
  config: VaultInstanceConfig,
  instance: string,
  deps: ProviderDeps,
  overrides: VaultProviderOverrides = {},
): CredentialProvider {
  const logger = deps.logger.child({ provider: 'vault', instance });
  const http =
    overrides.http ??
    createNodeVaultHttp({
      address: config.address,
      timeoutMs: config.timeoutMs,
      ...(config.namespace ? { namespace: config.namespace } : {}),
      ...(config.caFile ? { caFile: config.caFile } : {}),
    });
  const session = new VaultSession({
    http,
    where: instanceLabel('vault', instance, config.address),
    auth: config.auth,
    logger,
    readsPerSecond: config.rateLimit.readsPerSecond ?? VAULT_DEFAULT_LIMITS.readsPerSecond,
    writesPerSecond: config.rateLimit.writesPerSecond ?? VAULT_DEFAULT_LIMITS.writesPerSecond,
  });
  const ctx: VaultKindContext = {
    instance,
    config,
    session,
    policies: new PolicyHints(session, logger),
    logger,
    fingerprint: deps.fingerprint,
    ownerTagKeys: deps.ownerTagKeys,
    concurrency: config.rateLimit.concurrency ?? VAULT_DEFAULT_LIMITS.concurrency,
    now: deps.now ?? (() => new Date()),
  };
  const kinds = new Map<CredentialKind, VaultKind>(config.kinds.map((k) => [k, FACTORIES[k](ctx)]));
  const capabilities: ProviderCapabilities = Object.fromEntries(
    [...kinds].map(([k, impl]) => [k, impl.capabilities]),
  );

  function kindOf(ref: CredentialRef): VaultKind {
    if (ref.instance !== instance) {
      throw new UsageError(
        `ref names provider instance ${JSON.stringify(ref.instance)}, this is ${JSON.stringify(instance)}`,
      );
    }
    const impl = kinds.get(ref.kind as CredentialKind);
    if (!impl)
      throw new UsageError(
        `vault instance ${instance} is not configured for kind ${JSON.stringify(ref.kind)}`,
      );
    return impl;
  }

  function need<T>(method: T | undefined, ref: CredentialRef, what: string): T {
    if (!method) throw new UsageError(`vault kind ${ref.kind} cannot ${what} (see capabilities)`);
    return method;
  }

  return {
    type: 'vault',
    instance,
    capabilities,

    async *inventory(opts = {}) {
      for (const impl of kinds.values()) {
        for await (const record of impl.inventory(opts.signal)) {
          yield record satisfies IdentityRecord;
        }
      }
    },

    describe: (ref, opts) => kindOf(ref).describe(ref.locator, opts),

    revoke(ref, versionIds, ctxStep) {
      const impl = kindOf(ref);
      return need(impl.revoke, ref, 'revoke').call(impl, ref.locator, versionIds, ctxStep);
    },

    reissue(ref, ctxStep) {
      const impl = kindOf(ref);
      return need(impl.reissue, ref, 'reissue').call(impl, ref.locator, ctxStep);
    },

    async findIssued(ref, key) {
      const impl = kindOf(ref);
      try {
        return await need(impl.findIssued, ref, 'reissue').call(impl, ref.locator, key);
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },

    verify(ref, issued) {
      const impl = kindOf(ref);
      return need(impl.verify, ref, 'verify').call(impl, ref.locator, issued);
    },

    discard(ref, issued, ctxStep) {
      const impl = kindOf(ref);
      return need(impl.discard, ref, 'discard').call(impl, ref.locator, issued, ctxStep);
    },
  };
}
