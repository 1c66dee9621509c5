import { NotImplementedError } from '../../src/lib/errors.js';
import type { CredentialProvider, ProviderDeps } from '../../src/provider.js';
import type { AzureInstanceConfig } from './schema.js';

export function createAzureProvider(_config: AzureInstanceConfig, _instance: string, _deps: ProviderDeps): CredentialProvider {
  throw new NotImplementedError('the azure provider');
}
