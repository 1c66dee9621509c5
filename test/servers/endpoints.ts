// Endpoints of the local test servers started by test/servers/servers.sh (see README.md there).
// Plain constants, no dependencies beyond Node's built-in `node:url`; ESM only.
import { fileURLToPath } from 'node:url';

/** moto 5.2.5 in server mode (AWS: Secrets Manager, IAM, STS, ...). Any access key / secret is accepted. */
export const MOTO_ENDPOINT = 'http://127.0.0.1:5000';
/** POST here to wipe ALL moto state (every service, every region). */
export const MOTO_RESET_URL = `${MOTO_ENDPOINT}/moto-api/reset`;
/** Dummy credentials/region that work against moto. */
export const MOTO_REGION = 'us-east-1';
export const MOTO_ACCESS_KEY_ID = 'test';
export const MOTO_SECRET_ACCESS_KEY = 'test';
/** moto's fixed default account id (ARNs look like arn:aws:iam::123456789012:user/x). */
export const MOTO_ACCOUNT_ID = '123456789012';

/** OpenBao 2.7.2 dev server (in-memory, unsealed, kv-v2 mounted at `secret/`). */
export const OPENBAO_ADDR = 'http://127.0.0.1:8200';
export const OPENBAO_ROOT_TOKEN = 'root';

/**
 * Azure Key Vault (secrets data plane) on https://localhost:8443. `servers.sh up` runs a Lowkey Vault jar
 * if one is present (LOWKEY_JAR or .servers/lowkey-vault-app-*.jar), otherwise the repo's own fake,
 * test/servers/keyvault/server.mjs (see README.md: operations, api-versions, differences from the service).
 * Any `Authorization: Bearer <anything>` is accepted; a request without one gets the service's 401 challenge.
 * With the Azure SDK use `disableChallengeResourceVerification: true` and pin `serviceVersion` (e.g. '7.4').
 */
export const AZURE_KEYVAULT_URL: string =
  keyvaultUrlOverride(process.env.NHI_TEST_KEYVAULT_URL) ?? 'https://localhost:8443';

/**
 * NHI_TEST_KEYVAULT_URL points the suites that use AZURE_KEYVAULT_URL (and `npm run demo`) at another local Key
 * Vault, e.g. a second fake started by hand on another port (`node test/servers/keyvault/server.mjs --port 18443`,
 * same certificate). Only https on localhost / 127.0.0.1 is accepted, so a real vault URL in the environment
 * can never become a test target.
 */
function keyvaultUrlOverride(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const u = new URL(raw);
  if (u.protocol !== 'https:' || !['localhost', '127.0.0.1'].includes(u.hostname) || u.pathname !== '/')
    throw new Error(
      `NHI_TEST_KEYVAULT_URL must be https://localhost:<port> or https://127.0.0.1:<port>, not ${raw}`,
    );
  return u.origin;
}
/**
 * PEM of the fake's self-signed certificate (SAN DNS:localhost, IP:127.0.0.1), created once by `servers.sh up`
 * (key: .servers/keyvault-key.pem). Resolved relative to this source file; override with env AZURE_KEYVAULT_CA_PEM.
 * NODE_EXTRA_CA_CERTS (set by the vitest global setup) points at LOWKEY_CA_PEM, which is a symlink to this file
 * while the fake runs and holds Lowkey Vault's own certificate while a Lowkey jar runs.
 */
export const AZURE_KEYVAULT_CA_PEM: string =
  process.env.AZURE_KEYVAULT_CA_PEM ??
  fileURLToPath(new URL('../../.servers/keyvault-ca.pem', import.meta.url));
/**
 * Test-only endpoints of the fake (no auth; they do not exist on the real service nor on Lowkey Vault):
 * POST `${AZURE_KEYVAULT_FAKE_URL}/reset` wipes all secrets (live and deleted) and hostile modes;
 * POST `${AZURE_KEYVAULT_FAKE_URL}/hostile` with `{ foreignNextLink?: string, endlessEmptyPages?: boolean,
 * controlCharItems?: boolean }` sets hostile-data modes (fields left out are off); GET `/info`, `/hostile`,
 * `/requests` (recent method/path/status, no query strings) for inspection.
 */
export const AZURE_KEYVAULT_FAKE_URL = `${AZURE_KEYVAULT_URL}/_fake`;
/**
 * Lowkey Vault's time shift, served with the same URL shape by the fake: `PUT ${AZURE_KEYVAULT_TIME_SHIFT_URL}?seconds=N`
 * with `Content-Type: application/json` (no auth, body ignored) answers 204 and moves every timestamp of every
 * secret N seconds into the past (versions' created/updated/nbf/exp, deleted secrets' deletedDate/
 * scheduledPurgeDate; soft-deleted secrets whose scheduledPurgeDate is then past are purged). Fake only:
 * `&namePrefix=P` limits the shift to secret names starting with P (case-insensitive), so a suite can age its own
 * secrets while other suites share the server; Lowkey ignores the parameter and shifts the whole vault.
 * Per vault (Lowkey): `${AZURE_KEYVAULT_URL}/management/vault/time?baseUri=<vault>&seconds=N`.
 */
export const AZURE_KEYVAULT_TIME_SHIFT_URL = `${AZURE_KEYVAULT_URL}/management/vault/time/all`;
/** Tenant id in the fake's WWW-Authenticate challenge (authorization="https://login.microsoftonline.com/<tenant>"). */
export const AZURE_KEYVAULT_FAKE_TENANT = '9f2a1c4e-0b7d-4c59-8e3a-6d1f0c2b7a55';

/** @deprecated alias of AZURE_KEYVAULT_URL (the slot used to be Lowkey Vault only). */
export const LOWKEY_VAULT_URL = AZURE_KEYVAULT_URL;
/** Lowkey Vault management API: /management/vault, …/time/all?seconds=N (the fake serves only the time shift). */
export const LOWKEY_MANAGEMENT_URL = `${AZURE_KEYVAULT_URL}/management`;
/** Lowkey Vault's plain-HTTP managed-identity token stub (only when a Lowkey jar runs; binds all interfaces upstream). */
export const LOWKEY_TOKEN_ENDPOINT = 'http://127.0.0.1:8080/metadata/identity/oauth2/token';
/**
 * Trust anchor for whatever serves :8443 (<repo>/.servers/lowkey-ca.pem): a symlink to AZURE_KEYVAULT_CA_PEM
 * for the fake, Lowkey Vault's served certificate for a Lowkey jar. The vitest global setup puts this in
 * NODE_EXTRA_CA_CERTS. Override with env LOWKEY_CA_PEM if this module is run from a compiled output directory.
 */
export const LOWKEY_CA_PEM: string =
  process.env.LOWKEY_CA_PEM ?? fileURLToPath(new URL('../../.servers/lowkey-ca.pem', import.meta.url));
