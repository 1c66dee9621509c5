/**
 * The AWS provider as the CLI builds it: only the kinds the instance configures are loaded, so
 * a secret-only instance never loads @aws-sdk/client-iam (issue 17: ~70 ms of every start).
 */
import type { CredentialProvider, ProviderDeps } from '../../src/provider.js';
import { createSdkClients } from './client.js';
import { type AwsKindFactory, type AwsKindName, composeAwsProvider } from './compose.js';
import type { AwsInstanceConfig } from './schema.js';

const LOADERS: Record<AwsKindName, () => Promise<AwsKindFactory>> = {
  secret: async () => (await import('./secret-kind.js')).createSecretKind,
  'iam-key': async () => (await import('./iam-key-kind.js')).createIamKeyKind,
};

export async function loadAwsProvider(
  config: AwsInstanceConfig,
  instance: string,
  deps: ProviderDeps,
): Promise<CredentialProvider> {
  const kinds = [...new Set(config.kinds)];
  const factories = Object.fromEntries(await Promise.all(kinds.map(async (k) => [k, await LOADERS[k]()])));
  return composeAwsProvider(config, instance, deps, createSdkClients(config), factories);
}
