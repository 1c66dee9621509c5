// Drives the local Azure Key Vault server (test/servers/keyvault/server.mjs, or a Lowkey Vault jar) with the
// real @azure/keyvault-secrets SDK, to check that it speaks the wire protocol the SDK expects.
// Run: NHI_KEEP_SERVERS=1 npx vitest run test/servers/keyvault.test.ts  (the global setup starts the servers)
//
// It uses unique secret names and never calls /_fake/reset, so it can share the server with other suites.
// The hostile-data block switches a GLOBAL mode of the fake for a moment (and off again in `finally`).

import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import type { TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import { describe, expect, it } from 'vitest';
import {
  AZURE_KEYVAULT_CA_PEM,
  AZURE_KEYVAULT_FAKE_URL,
  AZURE_KEYVAULT_TIME_SHIFT_URL,
  AZURE_KEYVAULT_URL,
  LOWKEY_CA_PEM,
} from './endpoints.js';

const credential: TokenCredential = {
  getToken: async () => ({ token: 'x', expiresOnTimestamp: Date.now() + 3600e3 }),
};
const client = new SecretClient(AZURE_KEYVAULT_URL, credential, {
  disableChallengeResourceVerification: true,
  serviceVersion: '7.4',
});
const run = randomUUID().slice(0, 8);
const name = (what: string) => `kvtest-${what}-${run}`;
const poll = { intervalInMs: 50 };
const VAULT_RE = AZURE_KEYVAULT_URL.replace(/[.]/g, '\\.');
const ID_RE = (n: string) => new RegExp(`^${VAULT_RE}/secrets/${n}/[0-9a-f]{32}$`);

async function isFake(): Promise<boolean> {
  const r = await fetch(`${AZURE_KEYVAULT_FAKE_URL}/info`).catch(() => null);
  return r?.ok === true;
}

async function rejection(
  p: Promise<unknown>,
): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { statusCode?: number; code?: string; message: string };
  }
  throw new Error('expected the call to fail');
}

describe('local Azure Key Vault server', () => {
  it('is trusted through NODE_EXTRA_CA_CERTS in the forked test worker', async () => {
    expect(process.env.NODE_EXTRA_CA_CERTS).toBeTruthy();
    expect(realpathSync(process.env.NODE_EXTRA_CA_CERTS!)).toBe(realpathSync(LOWKEY_CA_PEM));
    if (await isFake()) expect(realpathSync(LOWKEY_CA_PEM)).toBe(realpathSync(AZURE_KEYVAULT_CA_PEM));
    // No custom agent / CA option: only the process-wide extra CA makes this TLS handshake succeed.
    const r = await fetch(`${AZURE_KEYVAULT_URL}/ping`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('pong');
  });

  it('answers a token-less request with the Key Vault 401 bearer challenge (raw HTTP)', async () => {
    const r = await fetch(`${AZURE_KEYVAULT_URL}/secrets?api-version=7.4`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(
      /^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}", resource="https:\/\/vault\.azure\.net"$/,
    );
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('Unauthorized');
  });

  it('rejects a missing or unknown api-version with 400 BadParameter (raw HTTP)', async () => {
    const headers = { authorization: 'Bearer x' };
    for (const q of ['', '?api-version=', '?api-version=1.0']) {
      const r = await fetch(`${AZURE_KEYVAULT_URL}/secrets${q}`, { headers });
      expect(r.status, q).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('BadParameter');
    }
    const ok = await fetch(`${AZURE_KEYVAULT_URL}/secrets?api-version=7.5`, { headers });
    expect(ok.status).toBe(200);
  });

  it('sets and gets a secret (SecretBundle fields)', async () => {
    const n = name('basic');
    const set = await client.setSecret(n, 'v1-value', {
      contentType: 'text/plain',
      tags: { owner: 'alice' },
    });
    expect(set.name).toBe(n);
    expect(set.value).toBe('v1-value');
    expect(set.properties.id).toMatch(ID_RE(n));
    expect(set.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(set.properties.vaultUrl).toBe(AZURE_KEYVAULT_URL);
    expect(set.properties.enabled).toBe(true);
    expect(set.properties.contentType).toBe('text/plain');
    expect(set.properties.tags).toEqual({ owner: 'alice' });
    expect(set.properties.recoveryLevel).toBe('Recoverable+Purgeable');
    expect(set.properties.recoverableDays).toBe(90);
    expect(set.properties.createdOn).toBeInstanceOf(Date);
    expect(Math.abs(set.properties.createdOn!.getTime() - Date.now())).toBeLessThan(60_000);

    const latest = await client.getSecret(n);
    expect(latest.value).toBe('v1-value');
    expect(latest.properties.version).toBe(set.properties.version);
    const byVersion = await client.getSecret(n, { version: set.properties.version! });
    expect(byVersion.value).toBe('v1-value');

    const missing = await rejection(client.getSecret(name('does-not-exist')));
    expect(missing.statusCode).toBe(404);
    expect(missing.code).toBe('SecretNotFound');

    let found = false;
    for await (const p of client.listPropertiesOfSecrets()) {
      if (p.name === n) {
        found = true;
        expect(p.id).toBe(`${AZURE_KEYVAULT_URL}/secrets/${n}`);
        expect(p.tags).toEqual({ owner: 'alice' });
      }
    }
    expect(found).toBe(true);
  });

  it('pages secret versions (more than 25) through nextLink', async () => {
    const n = name('paged');
    const versions: string[] = [];
    for (let i = 0; i < 30; i++) versions.push((await client.setSecret(n, `value-${i}`)).properties.version!);

    const seen: string[] = [];
    let pages = 0;
    for await (const page of client.listPropertiesOfSecretVersions(n).byPage()) {
      pages++;
      expect(page.length).toBeLessThanOrEqual(25);
      for (const p of page) seen.push(p.version!);
    }
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual([...versions].sort());

    let smallPages = 0;
    let count = 0;
    for await (const page of client.listPropertiesOfSecretVersions(n).byPage({ maxPageSize: 7 })) {
      smallPages++;
      count += page.length;
    }
    expect(smallPages).toBe(5);
    expect(count).toBe(30);
    expect((await client.getSecret(n)).value).toBe('value-29');
  });

  it('disables a version: getSecret of it fails with 403 Forbidden', async () => {
    const n = name('disabled');
    const v1 = (await client.setSecret(n, 'old')).properties;
    const v2 = (await client.setSecret(n, 'new')).properties;
    await new Promise((r) => setTimeout(r, 1100)); // `updated` has 1-second resolution
    const updated = await client.updateSecretProperties(n, v1.version!, {
      enabled: false,
      tags: { state: 'off' },
    });
    expect(updated.enabled).toBe(false);
    expect(updated.tags).toEqual({ state: 'off' });
    expect(updated.updatedOn!.getTime()).toBeGreaterThan(updated.createdOn!.getTime());

    const err = await rejection(client.getSecret(n, { version: v1.version! }));
    expect(err.statusCode).toBe(403);
    expect(err.code).toBe('Forbidden');
    expect(err.message).toBe('Operation get is not allowed on a disabled secret.');
    expect((await client.getSecret(n)).value).toBe('new'); // latest (v2) still enabled

    await client.updateSecretProperties(n, v2.version!, { enabled: false });
    expect((await rejection(client.getSecret(n))).statusCode).toBe(403); // latest disabled too
    await client.updateSecretProperties(n, v1.version!, { enabled: true });
    expect((await client.getSecret(n, { version: v1.version! })).value).toBe('old');
  });

  it('soft-deletes, lists deleted, recovers and purges', async () => {
    const n = name('lifecycle');
    const created = await client.setSecret(n, 'keep-me', { tags: { owner: 'bob' } });

    const delPoller = await client.beginDeleteSecret(n, poll);
    const deleted = await delPoller.pollUntilDone();
    expect(deleted.name).toBe(n);
    expect(deleted.properties.recoveryId).toBe(`${AZURE_KEYVAULT_URL}/deletedsecrets/${n}`);
    expect(deleted.properties.deletedOn).toBeInstanceOf(Date);
    expect(deleted.properties.scheduledPurgeDate!.getTime() - deleted.properties.deletedOn!.getTime()).toBe(
      90 * 86400e3,
    );
    expect(deleted.properties.version).toBe(created.properties.version);

    expect((await rejection(client.getSecret(n))).statusCode).toBe(404);
    const conflict = await rejection(client.setSecret(n, 'reuse'));
    expect(conflict.statusCode).toBe(409);
    expect(conflict.code).toBe('Conflict');

    const listed: string[] = [];
    for await (const d of client.listDeletedSecrets()) listed.push(d.name);
    expect(listed).toContain(n);
    expect((await client.getDeletedSecret(n)).properties.tags).toEqual({ owner: 'bob' });

    const recPoller = await client.beginRecoverDeletedSecret(n, poll);
    const recovered = await recPoller.pollUntilDone();
    expect(recovered.name).toBe(n);
    expect(recovered.version).toBe(created.properties.version);
    expect((await client.getSecret(n)).value).toBe('keep-me');
    expect((await rejection(client.getDeletedSecret(n))).statusCode).toBe(404);

    await (await client.beginDeleteSecret(n, poll)).pollUntilDone();
    await client.purgeDeletedSecret(n);
    expect((await rejection(client.getDeletedSecret(n))).statusCode).toBe(404);
    const again = await client.setSecret(n, 'fresh');
    expect(again.properties.version).not.toBe(created.properties.version);
  });

  it('moves timestamps into the past with the Lowkey-shaped time shift, limited by namePrefix (fake only)', async (ctx) => {
    // Fake only: on Lowkey Vault namePrefix is ignored and the whole vault (every suite's secrets) would move.
    if (!(await isFake())) ctx.skip();
    const prefix = name('shift');
    const aged = `${prefix}-aged`;
    const gone = `${prefix}-gone`;
    const other = name('noshift');
    const t0 = Math.floor(Date.now() / 1000);
    const s1 = await client.setSecret(aged, 'a', {
      notBefore: new Date((t0 - 60) * 1000),
      expiresOn: new Date((t0 + 3600) * 1000),
    });
    await client.setSecret(other, 'o');
    await client.setSecret(gone, 'g');
    await (await client.beginDeleteSecret(gone, poll)).pollUntilDone();
    const shift = (query: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      fetch(`${AZURE_KEYVAULT_TIME_SHIFT_URL}?${query}`, { method: 'PUT', headers, body: '{}' });

    // Lowkey's contract: positive seconds, a JSON content type, 204 without a body.
    expect((await shift(`seconds=0&namePrefix=${prefix}`)).status).toBe(400);
    expect((await shift(`seconds=-5&namePrefix=${prefix}`)).status).toBe(400);
    expect((await shift(`namePrefix=${prefix}`)).status).toBe(400);
    expect((await shift(`seconds=10&namePrefix=${prefix}`, {})).status).toBe(415);
    const days = 100;
    const ok = await shift(`seconds=${days * 86400}&namePrefix=${prefix}`);
    expect(ok.status).toBe(204);
    expect(await ok.text()).toBe('');

    const p = (await client.getSecret(aged)).properties;
    const sec = (d: Date | undefined) => Math.round((d?.getTime() ?? Number.NaN) / 1000);
    expect(sec(p.createdOn)).toBe(sec(s1.properties.createdOn) - days * 86400);
    expect(sec(p.updatedOn)).toBe(sec(s1.properties.updatedOn) - days * 86400);
    expect(sec(p.notBefore)).toBe(t0 - 60 - days * 86400);
    expect(sec(p.expiresOn)).toBe(t0 + 3600 - days * 86400);
    // Outside the prefix: untouched. Soft-deleted past its (90-day) scheduledPurgeDate: purged, as Lowkey does.
    expect(sec((await client.getSecret(other)).properties.createdOn)).toBeGreaterThanOrEqual(t0 - 5);
    expect((await rejection(client.getDeletedSecret(gone))).statusCode).toBe(404);
    // The per-vault form (Lowkey: PUT /management/vault/time?baseUri=…&seconds=N); an unknown vault is 404.
    const single = (baseUri: string) =>
      fetch(
        `${AZURE_KEYVAULT_URL}/management/vault/time?baseUri=${encodeURIComponent(baseUri)}&seconds=86400&namePrefix=${prefix}`,
        {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        },
      );
    expect((await single(AZURE_KEYVAULT_URL)).status).toBe(204);
    expect(sec((await client.getSecret(aged)).properties.createdOn)).toBe(
      sec(s1.properties.createdOn) - (days + 1) * 86400,
    );
    expect((await single('https://elsewhere.example:8443')).status).toBe(404);

    for (const n of [aged, other]) {
      await (await client.beginDeleteSecret(n, poll)).pollUntilDone();
      await client.purgeDeletedSecret(n);
    }
  });

  it('serves hostile list data on request (fake only)', async (ctx) => {
    if (!(await isFake())) ctx.skip();
    const n = name('hostile');
    await client.setSecret(n, 'h');
    const headers = { authorization: 'Bearer x' };
    const list = async (url: string) => {
      const r = await fetch(url, { headers });
      expect(r.status).toBe(200);
      return (await r.json()) as { value: { id: string }[]; nextLink: string | null };
    };
    const setHostile = (body: object) =>
      fetch(`${AZURE_KEYVAULT_FAKE_URL}/hostile`, { method: 'POST', body: JSON.stringify(body) });
    try {
      expect((await setHostile({ foreignNextLink: 'https://evil.example' })).status).toBe(200);
      const foreign = await list(`${AZURE_KEYVAULT_URL}/secrets/${n}/versions?api-version=7.4`);
      expect(foreign.nextLink).toMatch(/^https:\/\/evil\.example\/secrets\//);

      await setHostile({ endlessEmptyPages: true });
      let page = await list(`${AZURE_KEYVAULT_URL}/secrets/${n}/versions?api-version=7.4`);
      expect(page.value).toHaveLength(1);
      for (let i = 0; i < 5; i++) {
        expect(page.nextLink).toMatch(new RegExp(`^${VAULT_RE}/secrets/.*\\$skiptoken=`));
        page = await list(page.nextLink!);
        expect(page.value).toHaveLength(0);
      }
      expect(page.nextLink).toBeTruthy();

      await setHostile({ controlCharItems: true });
      const ctl = await list(`${AZURE_KEYVAULT_URL}/secrets?api-version=7.4&maxresults=1`);
      expect(ctl.value.some((i) => /[\u0000-\u001f]/.test(i.id))).toBe(true);
    } finally {
      await setHostile({});
    }
    const clean = await list(`${AZURE_KEYVAULT_URL}/secrets/${n}/versions?api-version=7.4`);
    expect(clean.nextLink).toBeNull();
  });
});
