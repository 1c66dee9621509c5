/**
 * Quota-enforcing clients in the narrow shapes the real adapters take (SecretsManagerLike,
 * SecretClientLike), so the benchmarks time createAwsProvider / createAzureProvider themselves,
 * not a model of them. Estates are generated from an index: the fakes hold nothing per secret.
 */
import type { SecretsManagerLike } from '../providers/aws/index.js';
import type { SecretClientLike } from '../providers/azure/index.js';
import type { QuotaService } from './quota-fake.js';

const DAY = 86_400_000;
const BASE = Date.parse('2026-01-01T00:00:00.000Z');

/** A varied, deterministic estate: ages, last use, owners, tiers and states spread by index. */
export function secretFacts(i: number) {
  const name = `svc-${String(i).padStart(6, '0')}`;
  const owner = i % 7 === 0 ? undefined : i % 11 === 0 ? 'ghost' : i % 2 === 0 ? 'alice' : 'payments';
  const tags: Record<string, string> = {
    ...(owner ? { owner } : {}),
    ...(i % 13 === 0 ? { tier: 'privileged' } : {}),
  };
  const created = new Date(BASE - ((i * 37) % 900) * DAY - DAY);
  const lastUsed = i % 5 === 0 ? undefined : new Date(BASE - ((i * 17) % 400) * DAY);
  const rotated = new Date(created.getTime() + ((i * 3) % 200) * DAY);
  const expires = i % 31 === 0 ? new Date(BASE - 5 * DAY) : undefined;
  const version = i.toString(16).padStart(32, '0');
  return { name, tags, created, lastUsed, rotated, expires, version, disabled: i % 29 === 0 };
}

const awsThrottle = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400, requestId: 'bench' },
  });

/** Secrets Manager: ListSecrets pages of 100 (NextToken = next index); nothing else is allowed. */
export function awsSecretsManager(n: number, service: QuotaService): SecretsManagerLike {
  return {
    async send(command) {
      const name = command.constructor.name.replace(/Command$/, '');
      if (name !== 'ListSecrets') throw new Error(`bench: unexpected ${name}`);
      const input = (command as { input: { NextToken?: string; MaxResults?: number } }).input;
      await service.call('ListSecrets', awsThrottle);
      const start = Number(input.NextToken ?? 0);
      const end = Math.min(n, start + (input.MaxResults ?? 100));
      const SecretList = [];
      for (let i = start; i < end; i++) {
        const f = secretFacts(i);
        SecretList.push({
          Name: f.name,
          ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${f.name}-AbCdEf`,
          Tags: Object.entries(f.tags).map(([Key, Value]) => ({ Key, Value })),
          CreatedDate: f.created,
          LastChangedDate: f.rotated,
          ...(f.lastUsed ? { LastAccessedDate: f.lastUsed } : {}),
          ...(f.disabled ? { DeletedDate: new Date(BASE - DAY) } : {}),
          SecretVersionsToStages: { [f.version]: ['AWSCURRENT'] },
        });
      }
      return { SecretList, ...(end < n ? { NextToken: String(end) } : {}) };
    },
  };
}

const azureThrottle = () =>
  Object.assign(new Error('Too Many Requests'), { statusCode: 429, code: 'Throttled' });

type Page<T> = T[] & { continuationToken?: string };

/**
 * A pager like the SDK's: `byPage` yields pages, each fetched (one quota call) when asked for.
 * Pages carry `continuationToken` as an own property, undefined on the last, as the adapter's
 * walker expects of clients without the nextLink capture policy; asking past the last page
 * sends nothing, like the SDK.
 */
function pager<T>(service: QuotaService, total: number, size: number, item: (i: number) => T) {
  return {
    byPage(settings: { continuationToken?: string } = {}) {
      return (async function* () {
        let start = Number(settings.continuationToken ?? 0);
        for (;;) {
          await service.call('vault', azureThrottle);
          const end = Math.min(total, start + size);
          const page: Page<T> = [];
          for (let i = start; i < end; i++) page.push(item(i));
          page.continuationToken = end < total ? String(end) : undefined;
          yield page;
          if (end >= total) return;
          start = end;
        }
      })();
    },
  };
}

function azureProperties(i: number, withVersion: boolean) {
  const f = secretFacts(i);
  return {
    name: f.name,
    id: `https://bench.vault.azure.net/secrets/${f.name}${withVersion ? `/${f.version}` : ''}`,
    vaultUrl: 'https://bench.vault.azure.net',
    ...(withVersion ? { version: f.version } : {}),
    enabled: !f.disabled,
    createdOn: f.created,
    updatedOn: f.created,
    ...(f.expires ? { expiresOn: f.expires } : {}),
    tags: f.tags,
    managed: false,
  };
}

/** Key Vault secrets: listings of 25 a page; every page is one transaction of the vault quota. */
export function azureSecretClient(n: number, service: QuotaService): SecretClientLike {
  const index = (name: string) => Number(name.slice(4));
  const client = {
    vaultUrl: 'https://bench.vault.azure.net',
    listPropertiesOfSecrets: () => pager(service, n, 25, (i) => azureProperties(i, false)),
    listPropertiesOfSecretVersions: (name: string) =>
      pager(service, 1, 25, () => azureProperties(index(name), true)),
    listDeletedSecrets: () => pager(service, 0, 25, () => ({})),
    getSecret: () => Promise.reject(new Error('bench: getSecret')),
    getDeletedSecret: () => Promise.reject(new Error('bench: getDeletedSecret')),
    setSecret: () => Promise.reject(new Error('bench: setSecret')),
    updateSecretProperties: () => Promise.reject(new Error('bench: updateSecretProperties')),
  };
  // The SDK's pager types carry more than the adapter reads; the adapter only calls byPage.
  return client as unknown as SecretClientLike;
}
