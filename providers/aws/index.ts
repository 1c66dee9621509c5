/**
 * The AWS provider: Secrets Manager secrets (kind `secret`, secret-kind.ts) and IAM access keys
 * (kind `iam-key`, iam-key-kind.ts). This file wires the instance (clients, budgets, context);
 * each kind is a KindAdapter and composeProvider (src/provider-kinds.ts) dispatches refs to them.
 */
import { NO_FAULTS } from '../../src/lib/failpoint.js';
import type { CredentialKind, CredentialProvider, ProviderDeps } from '../../src/provider.js';
import { composeProvider, type KindAdapter } from '../../src/provider-kinds.js';
import {
  type AwsClients,
  type AwsKindContext,
  awsInstanceLabel,
  createCaller,
  createLimiters,
  createSdkClients,
  DEFAULT_RATES,
} from './client.js';
import { createIamKeyKind } from './iam-key-kind.js';
import type { AwsInstanceConfig } from './schema.js';
import { createSecretKind } from './secret-kind.js';

export type { AwsClients, IamLike, SecretsManagerLike } from './client.js';

type AwsKindName = AwsInstanceConfig['kinds'][number];

const FACTORIES: Record<AwsKindName, (kc: AwsKindContext) => KindAdapter> = {
  secret: createSecretKind,
  'iam-key': createIamKeyKind,
};

export function createAwsProvider(
  config: AwsInstanceConfig,
  instance: string,
  deps: ProviderDeps,
): CredentialProvider {
  return createAwsProviderWithClients(config, instance, deps, createSdkClients(config));
}

/** Same provider over given clients (tests, or a caller that built its own SDK clients). */
export function createAwsProviderWithClients(
  config: AwsInstanceConfig,
  instance: string,
  deps: ProviderDeps,
  clients: AwsClients,
): CredentialProvider {
  const logger = deps.logger.child({ provider: 'aws', instance });
  const kc: AwsKindContext = {
    instance,
    config,
    clients,
    caller: createCaller(createLimiters(config), logger, awsInstanceLabel(instance, config)),
    logger,
    fingerprint: deps.fingerprint,
    ownerTagKeys: deps.ownerTagKeys,
    concurrency: config.rateLimit.concurrency ?? DEFAULT_RATES.concurrency,
    now: deps.now ?? (() => new Date()),
    faults: deps.faults ?? NO_FAULTS,
  };
  // Inventory lists secrets before access keys, whatever order the config names them in.
  const order = (Object.keys(FACTORIES) as AwsKindName[]).filter((k) => config.kinds.includes(k));
  const kinds = new Map<CredentialKind, KindAdapter>(order.map((k) => [k, FACTORIES[k](kc)]));
  return composeProvider({ type: 'aws', instance, kinds });
}
