// Small clients for seeding the local servers directly (not through nhi): OpenBao over fetch,
// the Key Vault fake over https (with its self-signed CA), moto through the AWS SDK.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CA_PEM, ROOT } from './lib.mjs';

const fileText = (p) => readFileSync(join(ROOT, p), 'utf8').trim();

export const MOTO = 'http://127.0.0.1:5000';
export const BAO = 'http://127.0.0.1:8200';
/** The local Key Vault; NHI_TEST_KEYVAULT_URL (https on localhost/127.0.0.1 only) points at another one. */
export const KEYVAULT = keyvaultUrl(process.env.NHI_TEST_KEYVAULT_URL);

function keyvaultUrl(raw) {
  if (!raw) return 'https://localhost:8443';
  const u = new URL(raw);
  if (u.protocol !== 'https:' || !['localhost', '127.0.0.1'].includes(u.hostname) || u.pathname !== '/')
    throw new Error(
      `NHI_TEST_KEYVAULT_URL must be https://localhost:<port> or https://127.0.0.1:<port>, not ${raw}`,
    );
  return u.origin;
}

// ---- OpenBao ---------------------------------------------------------------------------
export async function bao(method, path, body, { ok404 = false } = {}) {
  const res = await fetch(`${BAO}/v1/${path}`, {
    method,
    headers: {
      'X-Vault-Token': fileText('test/servers/openbao-root-token'),
      'Content-Type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (ok404 && res.status === 404) return undefined;
  const text = await res.text();
  if (!res.ok) throw new Error(`OpenBao ${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : undefined;
}

// ---- Key Vault (the repo's wire-level fake, or Lowkey Vault) ---------------------------
export function keyvault(method, path, body) {
  const url = new URL(path.startsWith('https://') ? path : `${KEYVAULT}${path}`);
  const dataPlane = !url.pathname.startsWith('/_fake') && !url.pathname.startsWith('/management/');
  if (!url.searchParams.has('api-version') && dataPlane) url.searchParams.set('api-version', '7.4');
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolveP, reject) => {
    const req = request(
      url,
      {
        method,
        ca: readFileSync(join(ROOT, CA_PEM)),
        headers: {
          Authorization: `Bearer ${fileText('test/servers/keyvault-token')}`,
          ...(payload
            ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          data += c;
        });
        res.on('end', () => {
          if (res.statusCode >= 400)
            reject(new Error(`Key Vault ${method} ${url.pathname}: ${res.statusCode} ${data.slice(0, 200)}`));
          else resolveP(data ? JSON.parse(data) : undefined);
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Every page of a Key Vault list operation. */
export async function keyvaultList(path) {
  const out = [];
  let next = path;
  while (next) {
    const page = await keyvault('GET', next);
    out.push(...(page.value ?? []));
    next = page.nextLink ?? null;
  }
  return out;
}

// ---- moto ------------------------------------------------------------------------------
export const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const awsOptions = (credentials) => ({
  region: 'us-east-1',
  endpoint: MOTO,
  credentials: credentials ?? {
    accessKeyId: AWS_KEY_ID,
    secretAccessKey: fileText('test/servers/moto-secret-key'),
  },
});
export const secretsManager = (credentials) => new SecretsManagerClient(awsOptions(credentials));
export const iam = () => new IAMClient(awsOptions());

/**
 * Lowkey Vault's time shift (`PUT /management/vault/time/all?seconds=N`, also served by the repo's fake):
 * every timestamp of the secrets (created, updated, nbf, exp; deletion dates) moves N seconds into the past.
 * `namePrefix` is the fake's extension (only those secrets move); Lowkey ignores it and moves the whole vault.
 */
export async function shiftKeyVaultTime(seconds, namePrefix) {
  const query = new URLSearchParams({ seconds: String(seconds), namePrefix });
  try {
    await keyvault('PUT', `/management/vault/time/all?${query}`, {});
  } catch (error) {
    // A fake started from an older checkout has no time shift (its /_fake/info lists no management API).
    const info = await keyvault('GET', '/_fake/info').catch(() => undefined);
    const stale = info !== undefined && !Array.isArray(info.management);
    throw new Error(
      `${error?.message ?? error}${stale ? ' (the running Key Vault fake predates the time shift; restart it: bash test/servers/servers.sh down keyvault && bash test/servers/servers.sh up keyvault)' : ''}`,
    );
  }
}

/** True when the repo's fake (not a Lowkey Vault jar) serves the Key Vault. */
export async function keyvaultIsFake() {
  return keyvault('GET', '/_fake/info').then(
    () => true,
    () => false,
  );
}
