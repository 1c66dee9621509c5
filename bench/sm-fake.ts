/**
 * A stateful, quota-enforcing Secrets Manager for the recovery benchmarks, in the adapter's
 * narrow client shape (SecretsManagerLike): secrets with versions and staging labels as AWS
 * keeps them, so the real adapter's revoke / reissue / verify run unchanged against it.
 * - PutSecretValue: a new version under ClientRequestToken (a replay with the same value is a
 *   no-op, a different value ResourceExistsException); VersionStages default AWSCURRENT;
 *   moving AWSCURRENT moves AWSPREVIOUS to the version it left; other labels stay put.
 * - UpdateSecretVersionStage: a label held elsewhere moves only with the right
 *   RemoveFromVersionId; AWSCURRENT can be moved, never just removed.
 * - DescribeSecret / ListSecrets list labelled versions only; ListSecretVersionIds lists
 *   unlabelled ones with IncludeDeprecated; GetSecretValue by VersionId or stage, and it sets
 *   the day-precision LastAccessedDate of the version and the secret.
 * Every call goes through the QuotaService under its API group's published quota.
 */
import { randomUUID } from 'node:crypto';
import type { SecretsManagerLike } from '../providers/aws/index.js';
import { type ApiQuota, AWS_QUOTAS, type QuotaService } from './quota-fake.js';

const QUOTAS_PAGE = 'docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html';
/** The quota group of the writes a recovery makes (PutSecretValue, UpdateSecretVersionStage). */
export const SM_WRITE = 'SecretsManagerWrite';

export const SM_QUOTAS: Record<string, ApiQuota> = {
  ...AWS_QUOTAS,
  [SM_WRITE]: {
    limit: 50,
    windowMs: 1_000,
    source: `${QUOTAS_PAGE} (PutSecretValue, UpdateSecret, UpdateSecretVersionStage, replication calls: 50/s combined)`,
  },
  DescribeGet: {
    limit: 10_000,
    windowMs: 1_000,
    source: `${QUOTAS_PAGE} (DescribeSecret and GetSecretValue: 10,000/s combined)`,
  },
  ListSecretVersionIds: {
    limit: 50,
    windowMs: 1_000,
    source: `${QUOTAS_PAGE} (own quota; value unconfirmed, believed 50/s: ADR 023)`,
  },
  Tagging: { limit: 50, windowMs: 1_000, source: `${QUOTAS_PAGE} (TagResource and UntagResource: 50/s)` },
  CreateSecret: { limit: 50, windowMs: 1_000, source: `${QUOTAS_PAGE} (CreateSecret: 50/s)` },
};

const GROUP: Record<string, string> = {
  ListSecrets: 'ListSecrets',
  DescribeSecret: 'DescribeGet',
  GetSecretValue: 'DescribeGet',
  ListSecretVersionIds: 'ListSecretVersionIds',
  PutSecretValue: SM_WRITE,
  UpdateSecretVersionStage: SM_WRITE,
  UpdateSecret: SM_WRITE,
  TagResource: 'Tagging',
  UntagResource: 'Tagging',
  CreateSecret: 'CreateSecret',
};

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';

interface Version {
  id: string;
  value: string;
  stages: string[];
  created: Date;
  lastAccessed?: Date;
}

export interface FakeSecret {
  name: string;
  arn: string;
  tags: Record<string, string>;
  created: Date;
  lastChanged: Date;
  lastAccessed?: Date;
  /** In creation order. */
  versions: Map<string, Version>;
}

type Input = Record<string, unknown>;

const awsError = (name: string) =>
  Object.assign(new Error(name), {
    name,
    $metadata: { httpStatusCode: 400, requestId: randomUUID() },
  });
const throttle = () => awsError('ThrottlingException');
const day = (d: Date) => new Date(`${d.toISOString().slice(0, 10)}T00:00:00.000Z`);
const labelled = (s: FakeSecret) => [...s.versions.values()].filter((v) => v.stages.length > 0);
const stageMap = (s: FakeSecret) => Object.fromEntries(labelled(s).map((v) => [v.id, [...v.stages]]));
const tagList = (s: FakeSecret) => Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value }));

export class FakeSecretsManager implements SecretsManagerLike {
  readonly secrets = new Map<string, FakeSecret>();
  readonly #byArn = new Map<string, FakeSecret>();
  constructor(readonly service: QuotaService) {}

  /** A secret with one version under AWSCURRENT (no quota call: the estate before the bench). */
  seed(name: string, value: string, tags: Record<string, string>, created: Date): FakeSecret {
    const arn = `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-${randomUUID().slice(0, 6)}`;
    const id = randomUUID();
    const secret: FakeSecret = {
      name,
      arn,
      tags: { ...tags },
      created,
      lastChanged: created,
      versions: new Map([[id, { id, value, stages: [CURRENT], created }]]),
    };
    this.secrets.set(name, secret);
    this.#byArn.set(arn, secret);
    return secret;
  }

  async send(command: object): Promise<unknown> {
    const op = command.constructor.name.replace(/Command$/, '');
    const group = GROUP[op];
    if (!group) throw awsError('InvalidRequestException');
    await this.service.call(group, throttle);
    const input = (command as { input: Input }).input;
    const handler = (this as unknown as Record<string, (i: Input) => unknown>)[`op${op}`];
    if (!handler) throw awsError('InvalidRequestException');
    return handler.call(this, input);
  }

  #secret(input: Input): FakeSecret {
    const id = String(input.SecretId);
    const s = this.secrets.get(id) ?? this.#byArn.get(id);
    if (!s) throw awsError('ResourceNotFoundException');
    return s;
  }

  #holder(s: FakeSecret, stage: string): Version | undefined {
    for (const v of s.versions.values()) if (v.stages.includes(stage)) return v;
    return undefined;
  }

  /** Attach `stage` to `to`, taking it from whichever version holds it; AWSCURRENT drags AWSPREVIOUS. */
  #attach(s: FakeSecret, stage: string, to: Version): void {
    const from = this.#holder(s, stage);
    if (from === to) return;
    if (from) from.stages = from.stages.filter((l) => l !== stage);
    to.stages.push(stage);
    if (stage === CURRENT && from) this.#attach(s, PREVIOUS, from);
  }

  opListSecrets(input: Input) {
    const filters = (input.Filters ?? []) as { Key: string; Values: string[] }[];
    const prefixes = filters.find((f) => f.Key === 'name')?.Values ?? [];
    const names = [...this.secrets.keys()].filter(
      (n) => !prefixes.length || prefixes.some((p) => n.startsWith(p)),
    );
    const start = Number(input.NextToken ?? 0);
    const end = Math.min(names.length, start + Number(input.MaxResults ?? 100));
    const SecretList = names.slice(start, end).map((n) => {
      const s = this.secrets.get(n) as FakeSecret;
      return {
        Name: s.name,
        ARN: s.arn,
        Tags: tagList(s),
        CreatedDate: s.created,
        LastChangedDate: s.lastChanged,
        ...(s.lastAccessed ? { LastAccessedDate: s.lastAccessed } : {}),
        SecretVersionsToStages: stageMap(s),
      };
    });
    return { SecretList, ...(end < names.length ? { NextToken: String(end) } : {}) };
  }

  opDescribeSecret(input: Input) {
    const s = this.#secret(input);
    return {
      ARN: s.arn,
      Name: s.name,
      Tags: tagList(s),
      CreatedDate: s.created,
      LastChangedDate: s.lastChanged,
      ...(s.lastAccessed ? { LastAccessedDate: s.lastAccessed } : {}),
      VersionIdsToStages: stageMap(s),
    };
  }

  opListSecretVersionIds(input: Input) {
    const s = this.#secret(input);
    const all = input.IncludeDeprecated ? [...s.versions.values()] : labelled(s);
    const start = Number(input.NextToken ?? 0);
    const end = Math.min(all.length, start + Number(input.MaxResults ?? 100));
    const Versions = all.slice(start, end).map((v) => ({
      VersionId: v.id,
      VersionStages: [...v.stages],
      CreatedDate: v.created,
      ...(v.lastAccessed ? { LastAccessedDate: v.lastAccessed } : {}),
    }));
    return { ARN: s.arn, Name: s.name, Versions, ...(end < all.length ? { NextToken: String(end) } : {}) };
  }

  opGetSecretValue(input: Input) {
    const s = this.#secret(input);
    const v =
      typeof input.VersionId === 'string'
        ? s.versions.get(input.VersionId)
        : this.#holder(s, String(input.VersionStage ?? CURRENT));
    if (!v || (typeof input.VersionStage === 'string' && !v.stages.includes(input.VersionStage)))
      throw awsError('ResourceNotFoundException');
    v.lastAccessed = day(new Date());
    s.lastAccessed = v.lastAccessed;
    return {
      ARN: s.arn,
      Name: s.name,
      VersionId: v.id,
      SecretString: v.value,
      VersionStages: [...v.stages],
      CreatedDate: v.created,
    };
  }

  opPutSecretValue(input: Input) {
    const s = this.#secret(input);
    const id = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID();
    const value = String(input.SecretString ?? '');
    const existing = s.versions.get(id);
    if (existing) {
      if (existing.value !== value) throw awsError('ResourceExistsException');
      return { ARN: s.arn, Name: s.name, VersionId: id, VersionStages: [...existing.stages] };
    }
    const version: Version = { id, value, stages: [], created: new Date() };
    s.versions.set(id, version);
    for (const stage of (input.VersionStages as string[] | undefined) ?? [CURRENT])
      this.#attach(s, stage, version);
    s.lastChanged = new Date();
    return { ARN: s.arn, Name: s.name, VersionId: id, VersionStages: [...version.stages] };
  }

  opUpdateSecretVersionStage(input: Input) {
    const s = this.#secret(input);
    const stage = String(input.VersionStage);
    const holder = this.#holder(s, stage);
    const remove = input.RemoveFromVersionId as string | undefined;
    const moveTo = input.MoveToVersionId as string | undefined;
    // The label must be on the version it is removed from; one held elsewhere moves only with it named.
    if (remove !== undefined && holder?.id !== remove) throw awsError('InvalidParameterException');
    if (moveTo !== undefined) {
      const to = s.versions.get(moveTo);
      if (!to) throw awsError('ResourceNotFoundException');
      if (holder && holder !== to && remove !== holder.id) throw awsError('InvalidParameterException');
      this.#attach(s, stage, to);
    } else if (holder) {
      if (stage === CURRENT) throw awsError('InvalidParameterException');
      holder.stages = holder.stages.filter((l) => l !== stage);
    }
    s.lastChanged = new Date();
    return { ARN: s.arn, Name: s.name };
  }

  opTagResource(input: Input) {
    const s = this.#secret(input);
    for (const t of (input.Tags ?? []) as { Key: string; Value: string }[]) s.tags[t.Key] = t.Value;
    return {};
  }

  opUntagResource(input: Input) {
    const s = this.#secret(input);
    for (const k of (input.TagKeys ?? []) as string[]) delete s.tags[k];
    return {};
  }
}
