/**
 * Real plans of every shipped runbook: one target per runbook seeded on the local servers
 * (OpenBao, moto, the Key Vault server) through their own APIs, planned by `planTarget` and
 * filed by `createRequest` exactly as `nhi plan` / `nhi request` do. Each seed also returns the
 * provider-made ids (access keys, accessors) the normaliser must hide from snapshots.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { motoClientConfig } from '../providers/aws.fixture.js';
import { azureTarget, fixtureClient } from '../providers/azure.fixture.js';
import { vaultApi } from '../providers/vault.fixture.js';

export const SHIPPED_RUNBOOKS = [
  'vault-kv-recovery',
  'vault-approle-recovery',
  'vault-token-recovery',
  'aws-secret-recovery',
  'aws-secret-rotation',
  'aws-iam-key-recovery',
  'azure-secret-recovery',
  'azure-secret-rotation',
] as const;

/** The instance names the test config gives the local servers (local-app.ts localConfig). */
export const INSTANCES = { 'vault-pv': 'vault-local', 'aws-pv': 'aws-local', 'azure-pv': 'azure-local' };

export interface Seeded {
  ref: string;
  /** Provider-made ids in the ref, limits or derived details (not in the plan's version list). */
  volatile: string[];
}

const ok = async (what: string, res: Promise<{ status: number; body: unknown }>) => {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as Record<string, unknown>;
};

/**
 * Seeds one target per shipped runbook; `suffix` keeps names apart from other suites and runs,
 * `variant` (appended to names) lets one test seed the same runbook twice.
 */
export function seeders(
  suffix: string,
): Record<(typeof SHIPPED_RUNBOOKS)[number], (variant?: string) => Promise<Seeded>> {
  const sm = new SecretsManagerClient(motoClientConfig());
  const awsSecret = async (name: string) => {
    const created = await sm.send(
      new CreateSecretCommand({
        Name: `nhi-planview-${suffix}/${name}`,
        SecretString: `old-${randomUUID()}`,
        Tags: [{ Key: 'owner', Value: 'alice' }],
      }),
    );
    return { ref: `aws-pv:secret:${created.Name}`, volatile: [] };
  };
  const azureSecret = async (name: string) => {
    const client = fixtureClient(await azureTarget());
    await client.setSecret(`planview-${suffix}-${name}`, `old-${randomUUID()}`, { tags: { owner: 'alice' } });
    return { ref: `azure-pv:secret:planview-${suffix}-${name}`, volatile: [] };
  };
  return {
    // Privileged (tier tag), owned by a team, with two live versions: quorum 2, a hold, two `-` lines.
    'vault-kv-recovery': async (variant = '') => {
      const path = `nhi-planview-${suffix}/payments-db${variant}`;
      await ok('kv v1', vaultApi('POST', `secret/data/${path}`, { data: { password: `a-${randomUUID()}` } }));
      await ok('kv v2', vaultApi('POST', `secret/data/${path}`, { data: { password: `b-${randomUUID()}` } }));
      await ok(
        'kv metadata',
        vaultApi('POST', `secret/metadata/${path}`, {
          custom_metadata: { owner: 'payments', tier: 'privileged' },
        }),
      );
      return { ref: `vault-pv:kv:secret/${path}`, volatile: [] };
    },
    'vault-approle-recovery': async (variant = '') => {
      await vaultApi('POST', 'sys/auth/approle', { type: 'approle' });
      const role = `planview-role-${suffix}${variant}`;
      await ok('role', vaultApi('POST', `auth/approle/role/${role}`, { token_policies: ['default'] }));
      await ok(
        'secret-id',
        vaultApi('POST', `auth/approle/role/${role}/secret-id`, {
          metadata: JSON.stringify({ owner: 'alice' }),
        }),
      );
      return { ref: `vault-pv:approle:${role}`, volatile: [] };
    },
    'vault-token-recovery': async () => {
      const body = await ok(
        'token',
        vaultApi('POST', 'auth/token/create-orphan', {
          policies: ['default'],
          meta: { owner: 'alice' },
          ttl: '2h',
        }),
      );
      const accessor = (body.auth as { accessor: string }).accessor;
      return { ref: `vault-pv:token:${accessor}`, volatile: [accessor] };
    },
    'aws-secret-recovery': (variant = '') => awsSecret(`recovery${variant}`),
    'aws-secret-rotation': (variant = '') => awsSecret(`rotation${variant}`),
    // A user that already holds an Inactive key: the plan shows the 2-key limit and make-room.
    'aws-iam-key-recovery': async (variant = '') => {
      const iam = new IAMClient(motoClientConfig());
      const user = `planview-user-${suffix}${variant}`;
      await iam.send(new CreateUserCommand({ UserName: user, Tags: [{ Key: 'owner', Value: 'alice' }] }));
      // The plan lists a user's keys sorted by id: the one that sorts first is made Inactive so
      // the limit's detail reads the same on every run (moto makes random ids).
      const ids: string[] = [];
      for (let i = 0; i < 2; i++)
        ids.push(
          (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey?.AccessKeyId as string,
        );
      const [old, key] = ids.sort((a, b) => a.localeCompare(b)) as [string, string];
      await iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: old, Status: 'Inactive' }));
      return { ref: `aws-pv:iam-key:${user}/${key}`, volatile: [old, key] };
    },
    'azure-secret-recovery': (variant = '') => azureSecret(`recovery${variant}`),
    'azure-secret-rotation': (variant = '') => azureSecret(`rotation${variant}`),
  };
}

/**
 * Replaces what differs between runs — provider-made ids, timestamps, digests, fingerprints,
 * request ids, the per-run suffix — with stable placeholders. Ids are numbered by where they
 * first appear in the text, so the same plan always normalises to the same text.
 */
export function normaliser(suffix: string, volatileIds: readonly string[]): (text: string) => string {
  // Short ids (Vault KV versions "1", "2") are the same on every run: left as they are.
  const ids = [...new Set(volatileIds)].filter((id) => id.length > 4).sort((a, b) => b.length - a.length);
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const idPattern = ids.length ? new RegExp(ids.map(escapeRegExp).join('|'), 'g') : null;
  return (text) => {
    const seen = new Map<string, string>();
    let out = text.replaceAll(suffix, '<suffix>');
    if (idPattern)
      out = out.replace(idPattern, (id) => {
        if (!seen.has(id)) seen.set(id, `<id-${seen.size + 1}>`);
        return seen.get(id) as string;
      });
    return out
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, '<time>')
      .replace(/hmac-sha256:[0-9a-f]+/g, 'hmac-sha256:<fingerprint>')
      .replace(/(?<!hmac-)sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
      .replace(/req_[0-9a-f-]{36}/g, 'req_<id>');
  };
}
