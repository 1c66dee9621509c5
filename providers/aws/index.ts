/**
 * The AWS provider: Secrets Manager secrets (kind `secret`) and IAM access keys (kind
 * `iam-key`). This file wires the instance (clients, budgets, context) and dispatches by
 * kind; the kind modules hold the behaviour.
 */
import { UsageError } from '../../src/lib/errors.js';
import { NO_FAULTS } from '../../src/lib/failpoint.js';
import type {
  CredentialKind,
  CredentialProvider,
  CredentialRef,
  DerivedCredential,
  DescribeOptions,
  KindCapabilities,
  ProviderCapabilities,
  ProviderDeps,
} from '../../src/provider.js';
import {
  type AwsClients,
  type AwsKindContext,
  awsInstanceLabel,
  createCaller,
  createLimiters,
  createSdkClients,
  DEFAULT_RATES,
} from './client.js';
import { iamKeyActivitySince, iamKeyInventory } from './iam-keys.js';
import { describeIamKeyPlanned, makeRoomIamKeys, revokeIamKeysAndSessions } from './iam-limits.js';
import { discardIamKey, reissueIamKey, settleIssuedIamKey, verifyIamKey } from './iam-reissue.js';
import type { AwsInstanceConfig } from './schema.js';
import {
  discardSecret,
  findIssuedSecret,
  promoteSecret,
  reissueSecret,
  revokeSecretVersions,
  verifySecret,
} from './secret-versions.js';
import { describeSecret, secretActivitySince, secretInventory } from './secrets.js';

export type { AwsClients, IamLike, SecretsManagerLike } from './client.js';

export const AWS_CAPABILITIES: { readonly secret: KindCapabilities; readonly 'iam-key': KindCapabilities } = {
  secret: {
    inventory: true,
    revoke: true,
    reissue: true,
    verify: true,
    activity: true,
    discard: true,
    revokeModes: ['remove-labels'],
  },
  'iam-key': {
    inventory: true,
    revoke: true,
    reissue: true,
    verify: true,
    activity: true,
    discard: true,
    revokeModes: ['deactivate', 'delete'],
    makeRoom: true,
  },
};

/**
 * A Secrets Manager value is copied by its consumers (caches, env vars, files): nhi cannot
 * reach those copies, so the plan says so and points at the hook step that tells consumers.
 */
function secretDerived(opts: DescribeOptions | undefined): DerivedCredential[] {
  const hook = opts?.runbook?.steps.find((s) => s.type === 'hook');
  return [
    {
      kind: 'consumer-copies',
      action: 'out-of-reach',
      detail: hook
        ? `copies of the old value held by consumers are out of reach: the hook step (${String(hook.params.hook)}) tells them to re-read the secret`
        : 'copies of the old value held by consumers are out of reach: add a hook step to the runbook so consumers re-read the secret',
    },
  ];
}

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
  const kinds = new Set<CredentialKind>(config.kinds);
  const capabilities: ProviderCapabilities = {};
  for (const kind of config.kinds) capabilities[kind] = AWS_CAPABILITIES[kind];

  const kindOf = (ref: CredentialRef): 'secret' | 'iam-key' => {
    if (ref.instance !== instance)
      throw new UsageError(`ref names instance ${JSON.stringify(ref.instance)}, not ${instance}`);
    if ((ref.kind === 'secret' || ref.kind === 'iam-key') && kinds.has(ref.kind)) return ref.kind;
    throw new UsageError(`aws instance ${instance} is not configured for kind ${JSON.stringify(ref.kind)}`);
  };

  return {
    type: 'aws',
    instance,
    capabilities,
    async *inventory(opts) {
      if (kinds.has('secret')) yield* secretInventory(kc, opts?.signal);
      if (kinds.has('iam-key')) yield* iamKeyInventory(kc, opts?.signal);
    },
    describe: async (ref, opts) =>
      kindOf(ref) === 'secret'
        ? { ...(await describeSecret(kc, ref)), derived: secretDerived(opts) }
        : describeIamKeyPlanned(kc, ref, opts),
    revoke: (ref, versionIds, ctx) =>
      kindOf(ref) === 'secret'
        ? revokeSecretVersions(kc, ref, versionIds, ctx)
        : revokeIamKeysAndSessions(kc, ref, versionIds, ctx),
    reissue: (ref, ctx) =>
      kindOf(ref) === 'secret' ? reissueSecret(kc, ref, ctx) : reissueIamKey(kc, ref, ctx),
    findIssued: (ref, key) =>
      kindOf(ref) === 'secret' ? findIssuedSecret(kc, ref, key) : settleIssuedIamKey(kc, ref, key),
    verify: (ref, issued) =>
      kindOf(ref) === 'secret' ? verifySecret(kc, ref, issued) : verifyIamKey(kc, ref, issued),
    // A new access key is live as soon as it exists: promote is a no-op for iam-key.
    promote: async (ref, issued) => {
      if (kindOf(ref) === 'secret') await promoteSecret(kc, ref, issued);
    },
    discard: (ref, issued, ctx) =>
      kindOf(ref) === 'secret' ? discardSecret(kc, ref, issued, ctx) : discardIamKey(kc, ref, issued),
    // Only iam-key has a limit to make room under (2 keys per user).
    makeRoom: (ref, versionIds, ctx) => {
      if (kindOf(ref) !== 'iam-key')
        throw new UsageError(`aws ${ref.kind} has no provider limit to make room under`);
      return makeRoomIamKeys(kc, ref, versionIds, ctx);
    },
    activitySince: (ref, since, versionIds) =>
      kindOf(ref) === 'secret'
        ? secretActivitySince(kc, ref, since, versionIds)
        : iamKeyActivitySince(kc, ref, since, versionIds),
  };
}
