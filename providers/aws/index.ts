/**
 * The AWS provider: Secrets Manager secrets (kind `secret`, secret-kind.ts) and IAM access keys
 * (kind `iam-key`, iam-key-kind.ts), every kind loaded up front. The CLI goes through load.ts,
 * which loads only the kinds an instance configures.
 */
import type { CredentialProvider, ProviderDeps } from '../../src/provider.js';
import { type AwsClients, createSdkClients } from './client.js';
import { type AwsKindFactory, type AwsKindName, composeAwsProvider } from './compose.js';
import { createIamKeyKind } from './iam-key-kind.js';
import type { AwsInstanceConfig } from './schema.js';
import { createSecretKind } from './secret-kind.js';

export type { AwsClients, IamLike, SecretsManagerLike } from './client.js';

const FACTORIES: Record<AwsKindName, AwsKindFactory> = {
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
  return composeAwsProvider(config, instance, deps, clients, FACTORIES);
}
