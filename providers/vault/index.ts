/**
 * The Vault provider: one session (auth, shared read/write budgets, retry) per instance,
 * and one module per kind (kv, approle, token, entity), each a KindAdapter; composeProvider
 * (src/provider-kinds.ts) dispatches refs to them.
 */
import { instanceLabel } from '../../src/lib/network-cause.js';
import type { CredentialKind, CredentialProvider, ProviderDeps } from '../../src/provider.js';
import { composeProvider, type KindAdapter } from '../../src/provider-kinds.js';
import { createAppRoleKind } from './approle.js';
import { createNodeVaultHttp, type VaultHttp } from './client.js';
import { createEntityKind } from './entity.js';
import type { VaultKindContext } from './kind.js';
import { createKvKind } from './kv.js';
import { PolicyHints } from './policies.js';
import type { VaultInstanceConfig } from './schema.js';
import { VaultSession } from './session.js';
import { createTokenKind } from './token.js';

/** Well under what a default Vault serves; Vault has no global quota unless an operator sets one. */
export const VAULT_DEFAULT_LIMITS = { readsPerSecond: 50, writesPerSecond: 10, concurrency: 8 } as const;

type VaultKindName = VaultInstanceConfig['kinds'][number];

const FACTORIES: Record<VaultKindName, (ctx: VaultKindContext) => KindAdapter> = {
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
  const kinds = new Map<CredentialKind, KindAdapter>(config.kinds.map((k) => [k, FACTORIES[k](ctx)]));
  // A Vault findIssued that meets NotFoundError (the credential or its idempotency record is gone)
  // means the reissue did not take effect.
  return composeProvider({ type: 'vault', instance, kinds, notFoundIsNotIssued: true });
}
