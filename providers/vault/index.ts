import { NotImplementedError } from '../../src/lib/errors.js';
import type { CredentialProvider, ProviderDeps } from '../../src/provider.js';
import type { VaultInstanceConfig } from './schema.js';

export function createVaultProvider(_config: VaultInstanceConfig, _instance: string, _deps: ProviderDeps): CredentialProvider {
  throw new NotImplementedError('the vault provider');
}
