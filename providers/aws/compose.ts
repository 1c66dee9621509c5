/**
 * Wires one AWS instance (clients, budgets, context) over the kind factories it is given; each
 * kind is a KindAdapter and composeProvider (src/provider-kinds.ts) dispatches refs to them.
 * index.ts hands it every kind (tests, benches); load.ts only the configured ones, loaded on
 * demand, so a secret-only instance never loads the IAM SDK.
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
  DEFAULT_RATES,
} from './client.js';
import type { AwsInstanceConfig } from './schema.js';

export type AwsKindName = AwsInstanceConfig['kinds'][number];
export type AwsKindFactory = (kc: AwsKindContext) => KindAdapter;

/** Inventory lists secrets before access keys, whatever order the config names them in. */
export const KIND_ORDER: readonly AwsKindName[] = ['secret', 'iam-key'];

export function composeAwsProvider(
  config: AwsInstanceConfig,
  instance: string,
  deps: ProviderDeps,
  clients: AwsClients,
  factories: Partial<Record<AwsKindName, AwsKindFactory>>,
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
  const kinds = new Map<CredentialKind, KindAdapter>();
  for (const k of KIND_ORDER.filter((k) => config.kinds.includes(k))) {
    const factory = factories[k];
    if (!factory) throw new Error(`aws kind ${k} was configured but not loaded`);
    kinds.set(k, factory(kc));
  }
  return composeProvider({ type: 'aws', instance, kinds });
}
