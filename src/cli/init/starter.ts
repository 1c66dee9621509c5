/**
 * The starter config `nhi init` writes: config.example.json cut down to what a first scan
 * needs, with the settings a user would otherwise have to look up written out at their
 * defaults (scan thresholds, the nightly schedule), keys in files next to it. Pure: the
 * command (commands/init.ts) asks, checks and writes.
 */
import { writtenConfigSchema } from '../../config/schema.js';
import { UsageError } from '../../lib/errors.js';

export const PROVIDER_TYPES = ['aws', 'vault', 'azure'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export interface StarterAnswers {
  providers: ProviderType[];
  /** aws */
  region?: string;
  awsProfile?: string;
  /** vault */
  vaultAddr?: string;
  /** azure */
  azureVaultUrl?: string;
  /** A principal registered as owner and control owner, with a key pair of its own. */
  owner?: string;
}

/** Paths as written in the config: relative to the config file's directory. */
export interface StarterPaths {
  fingerprintKey: string;
  auditKey: string;
  auditPub: string;
  ownerPub?: string;
}

/** Which flag supplies the value at a config path, so a bad value is reported as the flag the user typed. */
const FLAG_FOR: readonly [RegExp, string][] = [
  [/^providers\.aws\.region/, '--region'],
  [/^providers\.aws\.credentials/, '--aws-profile'],
  [/^providers\.vault\.address/, '--vault-addr'],
  [/^providers\.azure\.vaultUrl/, '--azure-vault-url'],
  [/^owners\.principals|^policy\.controlOwners/, '--owner'],
];

function providerBlock(type: ProviderType, a: StarterAnswers): Record<string, unknown> {
  switch (type) {
    case 'aws':
      return {
        type: 'aws',
        region: a.region,
        // The SDK's default chain: environment, shared config/SSO, web identity, instance role.
        credentials: { method: 'default', ...(a.awsProfile ? { profile: a.awsProfile } : {}) },
        kinds: ['secret', 'iam-key'],
      };
    case 'vault':
      return {
        type: 'vault',
        address: a.vaultAddr,
        // Where the vault CLI reads its token from: nothing secret goes into the file.
        auth: { method: 'token', token: 'env:VAULT_TOKEN' },
        kinds: ['kv', 'approle', 'token', 'entity'],
        kv: { mounts: ['secret'] },
      };
    case 'azure':
      return {
        type: 'azure',
        vaultUrl: a.azureVaultUrl,
        // DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI.
        credential: { method: 'default' },
        kinds: ['secret'],
      };
  }
}

/** The config object; throws a UsageError naming the flag when a value would not pass `nhi config check`. */
export function starterConfig(a: StarterAnswers, paths: StarterPaths): Record<string, unknown> {
  const config: Record<string, unknown> = {
    state: { driver: 'sqlite', path: './nhi-state.db' },
    keys: {
      fingerprint: `file:${paths.fingerprintKey}`,
      auditSigning: `file:${paths.auditKey}`,
      auditPublicKey: `file:${paths.auditPub}`,
    },
    providers: Object.fromEntries(a.providers.map((t) => [t, providerBlock(t, a)])),
    owners: {
      tagKeys: ['owner'],
      principals: a.owner && paths.ownerPub ? { [a.owner]: { publicKey: `file:${paths.ownerPub}` } } : {},
      teams: {},
      breakGlass: [],
    },
    policy: {
      requestTtlHours: 24,
      requireSignedActors: true,
      // Decisions are refused until the policy's control owners have signed it (nhi policy sign).
      ...(a.owner ? { controlOwners: { principals: [a.owner], quorum: 1 } } : {}),
    },
    scan: {
      standard: { dormantDays: 90, maxAgeDays: 365 },
      privileged: { dormantDays: 30, maxAgeDays: 90 },
    },
    schedules: {
      nightly: {
        cron: '0 2 * * *',
        timezone: 'UTC',
        report: { format: 'html', out: './reports/nightly-{date}.html' },
      },
    },
  };
  const parsed = writtenConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    const flag = FLAG_FOR.find(([re]) => re.test(path))?.[1];
    throw new UsageError(`${flag ?? path}: ${issue?.message ?? 'invalid value'}`);
  }
  return config;
}
