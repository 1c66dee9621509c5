/**
 * The one place src/ reaches into providers/. Adding a ProviderType fails to compile
 * until it has an entry here. Factories load lazily so `nhi config check` does not pay
 * for every cloud SDK.
 */
import type { z } from 'zod';
import { awsInstanceSchema } from '../providers/aws/schema.js';
import { azureInstanceSchema } from '../providers/azure/schema.js';
import { vaultInstanceSchema } from '../providers/vault/schema.js';
import type { CredentialProvider, ProviderDeps, ProviderType } from './provider.js';

export interface ProviderDefinition<S extends z.ZodType> {
  schema: S;
  load(): Promise<
    (
      config: z.output<S>,
      instance: string,
      deps: ProviderDeps,
    ) => CredentialProvider | Promise<CredentialProvider>
  >;
}

function define<S extends z.ZodType>(def: ProviderDefinition<S>): ProviderDefinition<S> {
  return def;
}

export const PROVIDER_REGISTRY = {
  vault: define({
    schema: vaultInstanceSchema,
    load: async () => (await import('../providers/vault/index.js')).createVaultProvider,
  }),
  aws: define({
    schema: awsInstanceSchema,
    load: async () => (await import('../providers/aws/load.js')).loadAwsProvider,
  }),
  azure: define({
    schema: azureInstanceSchema,
    load: async () => (await import('../providers/azure/index.js')).createAzureProvider,
  }),
} satisfies { [P in ProviderType]: ProviderDefinition<z.ZodType> };

export type ProviderInstanceConfig = {
  [P in ProviderType]: z.output<(typeof PROVIDER_REGISTRY)[P]['schema']>;
}[ProviderType];

export async function createProvider(
  instance: string,
  config: ProviderInstanceConfig,
  deps: ProviderDeps,
): Promise<CredentialProvider> {
  switch (config.type) {
    case 'vault':
      return (await PROVIDER_REGISTRY.vault.load())(config, instance, deps);
    case 'aws':
      return (await PROVIDER_REGISTRY.aws.load())(config, instance, deps);
    case 'azure':
      return (await PROVIDER_REGISTRY.azure.load())(config, instance, deps);
  }
}
