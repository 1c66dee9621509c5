// Remove what an earlier demo run left, only inside the demo namespace, so a rerun starts clean
// without wiping anything other tools keep on the shared servers. DEMO_RESET=1 additionally
// resets moto and the Key Vault fake as a whole (only do that on servers nobody else uses).
import {
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  ListAccessKeysCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import {
  DeleteSecretCommand,
  ListSecretsCommand,
  RestoreSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { bao, iam, KEYVAULT, keyvault, keyvaultList, MOTO, secretsManager } from './clients.mjs';
import { APPROLE_MOUNT, entities, KV_MOUNT, NS } from './estate.mjs';

export async function cleanup() {
  const counts = { aws: 0, iam: 0, vault: 0, azure: 0 };
  if (process.env.DEMO_RESET === '1') {
    await fetch(`${MOTO}/moto-api/reset`, { method: 'POST' });
    await keyvault('POST', `${KEYVAULT}/_fake/reset`).catch(() => undefined); // Lowkey Vault has no /_fake
  }

  const sm = secretsManager();
  let token;
  do {
    const page = await sm.send(
      new ListSecretsCommand({
        IncludePlannedDeletion: true,
        Filters: [{ Key: 'name', Values: [`${NS}/`] }],
        NextToken: token,
      }),
    );
    for (const s of page.SecretList ?? []) {
      if (!s.Name?.startsWith(`${NS}/`)) continue;
      if (s.DeletedDate) await sm.send(new RestoreSecretCommand({ SecretId: s.ARN })).catch(() => undefined);
      await sm.send(new DeleteSecretCommand({ SecretId: s.ARN, ForceDeleteWithoutRecovery: true }));
      counts.aws += 1;
    }
    token = page.NextToken;
  } while (token);

  const client = iam();
  const users = (await client.send(new ListUsersCommand({ PathPrefix: `/${NS}/` }))).Users ?? [];
  for (const u of users) {
    const keys =
      (await client.send(new ListAccessKeysCommand({ UserName: u.UserName }))).AccessKeyMetadata ?? [];
    for (const k of keys)
      await client.send(new DeleteAccessKeyCommand({ UserName: u.UserName, AccessKeyId: k.AccessKeyId }));
    const policies =
      (await client.send(new ListUserPoliciesCommand({ UserName: u.UserName }))).PolicyNames ?? [];
    for (const p of policies)
      await client.send(new DeleteUserPolicyCommand({ UserName: u.UserName, PolicyName: p }));
    await client.send(new DeleteUserCommand({ UserName: u.UserName }));
    counts.iam += 1;
  }

  const mounts = await bao('GET', 'sys/mounts');
  if (mounts.data?.[`${KV_MOUNT}/`] ?? mounts[`${KV_MOUNT}/`]) {
    await bao('DELETE', `sys/mounts/${KV_MOUNT}`);
    counts.vault += 1;
  }
  const auths = await bao('GET', 'sys/auth');
  if (auths.data?.[`${APPROLE_MOUNT}/`] ?? auths[`${APPROLE_MOUNT}/`]) {
    await bao('DELETE', `sys/auth/${APPROLE_MOUNT}`);
    counts.vault += 1;
  }
  for (const e of entities) {
    if (await bao('GET', `identity/entity/name/${e.name}`, undefined, { ok404: true })) {
      await bao('DELETE', `identity/entity/name/${e.name}`);
      counts.vault += 1;
    }
  }

  const nameOf = (id) => decodeURIComponent(new URL(id).pathname.split('/')[2] ?? '');
  for (const item of await keyvaultList('/secrets?maxresults=25')) {
    const name = nameOf(item.id);
    if (!name.startsWith(`${NS}-`)) continue;
    await keyvault('DELETE', `/secrets/${name}`);
    counts.azure += 1;
  }
  for (const item of await keyvaultList('/deletedsecrets?maxresults=25')) {
    const name = nameOf(item.id);
    if (name.startsWith(`${NS}-`)) await keyvault('DELETE', `/deletedsecrets/${name}`);
  }
  return counts;
}
