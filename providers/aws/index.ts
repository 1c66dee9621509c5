import { NotImplementedError } from '../../src/lib/errors.js';
import type { CredentialProvider, ProviderDeps } from '../../src/provider.js';
import type { AwsInstanceConfig } from './schema.js';

export function createAwsProvider(_config: AwsInstanceConfig, _instance: string, _deps: ProviderDeps): CredentialProvider {
  throw new NotImplementedError('the aws provider');
}
