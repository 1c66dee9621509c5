/**
 * A fake Secrets Manager through the narrow client shape, for tests that need exact call
 * counts or hostile data. Answers by command class name; anything unexpected is refused.
 */
import type { Logger } from 'pino';
import {
  createAwsProviderWithClients,
  type IamLike,
  type SecretsManagerLike,
} from '../../providers/aws/index.js';
import type { CredentialProvider, IdentityRecord, ProviderDeps } from '../../src/provider.js';
import { motoConfig } from './aws.fixture.js';

export type FakeHandlers = Record<string, (input: Record<string, unknown>) => unknown>;

export function fakeSecretsManager(handlers: FakeHandlers) {
  const calls: string[] = [];
  const client: SecretsManagerLike = {
    async send(command) {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push(name);
      const handler = handlers[name];
      if (!handler) throw Object.assign(new Error('unexpected'), { name: 'InvalidRequestException' });
      return handler((command as { input: Record<string, unknown> }).input);
    },
  };
  return { client, calls };
}

export const noIam: IamLike = {
  send: async () => {
    throw new Error('iam not expected');
  },
};

export function fakeProvider(
  client: SecretsManagerLike,
  deps: ProviderDeps,
  logger: Logger = deps.logger,
): CredentialProvider {
  return createAwsProviderWithClients(
    motoConfig({
      kinds: ['secret'],
      rateLimit: { readsPerSecond: 10_000, writesPerSecond: 10_000 },
      secrets: { versionListPerSecond: 10_000 },
    }),
    'aws-fake',
    { ...deps, logger },
    { secretsManager: client, iam: noIam },
  );
}

export async function drain(p: CredentialProvider): Promise<IdentityRecord[]> {
  const out: IdentityRecord[] = [];
  for await (const r of p.inventory()) out.push(r);
  return out;
}
