// Seed the estate of estate.mjs straight into the servers (provider APIs, not nhi), and flip
// the "flip" identities back on between the two scans.
import { randomBytes } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  RestoreSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { bao, iam, keyvault, secretsManager } from './clients.mjs';
import {
  APPROLE_MOUNT,
  approles,
  awsSecrets,
  azureSecrets,
  entities,
  iamUsers,
  KV_MOUNT,
  kvSecrets,
} from './estate.mjs';
import { sleep } from './lib.mjs';

const value = () => randomBytes(18).toString('base64url');
const ownerTags = (x) => ({ ...(x.owner ? { owner: x.owner } : {}), ...(x.tier ? { tier: x.tier } : {}) });
const awsTags = (x) => Object.entries(ownerTags(x)).map(([Key, Value]) => ({ Key, Value }));

/** Keys created for the flip user, remembered for flipBack(). */
const flipKeys = [];

export async function seedAws() {
  const sm = secretsManager();
  for (const s of awsSecrets) {
    await sm.send(new CreateSecretCommand({ Name: s.name, SecretString: value(), Tags: awsTags(s) }));
    if (s.read) await sm.send(new GetSecretValueCommand({ SecretId: s.name }));
    if (s.state === 'flip')
      await sm.send(new DeleteSecretCommand({ SecretId: s.name, RecoveryWindowInDays: 7 }));
  }
  const client = iam();
  for (const u of iamUsers) {
    await client.send(new CreateUserCommand({ UserName: u.name, Path: '/nhi-demo/', Tags: awsTags(u) }));
    if (u.admin) {
      const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
      await client.send(
        new PutUserPolicyCommand({
          UserName: u.name,
          PolicyName: 'admin',
          PolicyDocument: JSON.stringify(doc),
        }),
      );
    }
    const key = (await client.send(new CreateAccessKeyCommand({ UserName: u.name }))).AccessKey;
    if (u.use) {
      // One request signed with the new key: moto records it as the key's last use.
      const asUser = secretsManager({ accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey });
      await asUser.send(new ListSecretsCommand({ MaxResults: 1 }));
    }
    if (u.state === 'flip') {
      await client.send(
        new UpdateAccessKeyCommand({ UserName: u.name, AccessKeyId: key.AccessKeyId, Status: 'Inactive' }),
      );
      flipKeys.push({ user: u.name, id: key.AccessKeyId });
    }
  }
}

async function retry(fn, tries = 20) {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= tries) throw error;
      await sleep(250); // a fresh KV v2 mount answers 400 "upgrading" for a moment
    }
  }
}

/** Returns the id of each seeded entity by name. */
export async function seedVault() {
  await bao('POST', `sys/mounts/${KV_MOUNT}`, { type: 'kv', options: { version: '2' } });
  for (const s of kvSecrets) {
    await retry(() => bao('POST', `${KV_MOUNT}/data/${s.path}`, { data: { password: value() } }));
    const custom = ownerTags(s);
    if (Object.keys(custom).length)
      await bao('POST', `${KV_MOUNT}/metadata/${s.path}`, { custom_metadata: custom });
    if (s.state === 'flip') await bao('DELETE', `${KV_MOUNT}/data/${s.path}`); // soft delete of the latest version
  }
  await bao('POST', `sys/auth/${APPROLE_MOUNT}`, { type: 'approle' });
  for (const r of approles) {
    await bao('POST', `auth/${APPROLE_MOUNT}/role/${r.role}`, {
      token_policies: ['default'],
      secret_id_ttl: '0',
    });
    await bao('POST', `auth/${APPROLE_MOUNT}/role/${r.role}/secret-id`, {
      metadata: JSON.stringify(ownerTags(r)),
    });
  }
  const ids = {};
  for (const e of entities) {
    const res = await bao('POST', 'identity/entity', {
      name: e.name,
      metadata: ownerTags(e),
      policies: ['default'],
      disabled: e.state === 'flip',
    });
    ids[e.name] = res.data.id;
  }
  return ids;
}

export async function seedAzure() {
  const yesterday = Math.floor(Date.now() / 1000) - 86_400;
  for (const s of azureSecrets) {
    const body = {
      value: value(),
      tags: ownerTags(s),
      ...(s.expired ? { attributes: { exp: yesterday } } : {}),
    };
    const bundle = await keyvault('PUT', `/secrets/${s.name}`, body);
    if (s.state === 'flip')
      await keyvault('PATCH', new URL(bundle.id).pathname, { attributes: { enabled: false } });
  }
}

/** Between scan #1 and scan #2: every "flip" identity comes back. */
export async function flipBack() {
  const done = [];
  const sm = secretsManager();
  for (const s of awsSecrets.filter((x) => x.state === 'flip')) {
    await sm.send(new RestoreSecretCommand({ SecretId: s.name }));
    done.push(`AWS secret ${s.name}: restored from deletion`);
  }
  const client = iam();
  for (const k of flipKeys.splice(0)) {
    await client.send(new UpdateAccessKeyCommand({ UserName: k.user, AccessKeyId: k.id, Status: 'Active' }));
    done.push(`IAM key ${k.user}/${k.id}: set Active again`);
  }
  for (const s of kvSecrets.filter((x) => x.state === 'flip')) {
    await bao('POST', `${KV_MOUNT}/undelete/${s.path}`, { versions: [1] });
    done.push(`OpenBao KV ${KV_MOUNT}/${s.path}: version 1 undeleted`);
  }
  for (const e of entities.filter((x) => x.state === 'flip')) {
    await bao('POST', `identity/entity/name/${e.name}`, { disabled: false });
    done.push(`OpenBao entity ${e.name}: disabled flag cleared`);
  }
  for (const s of azureSecrets.filter((x) => x.state === 'flip')) {
    await keyvault('PATCH', `/secrets/${s.name}/`, { attributes: { enabled: true } });
    done.push(`Key Vault secret ${s.name}: latest version enabled again`);
  }
  return done;
}
