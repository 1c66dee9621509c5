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
 * Lowkey Vault (Azure Key Vault test double). NOTE: not installable on this machine yet — its app jar is
 * not served by Maven Central (see README.md). Values below follow upstream docs/source and are unverified.
 */
export const LOWKEY_VAULT_URL = 'https://localhost:8443';
/** Management API (same HTTPS port): /management/vault (list/create/delete/purge), /management/vault/time/all?seconds=N. */
export const LOWKEY_MANAGEMENT_URL = `${LOWKEY_VAULT_URL}/management`;
/** Plain-HTTP managed-identity token stub (GET /metadata/identity/oauth2/token); binds all interfaces upstream. */
export const LOWKEY_TOKEN_ENDPOINT = 'http://127.0.0.1:8080/metadata/identity/oauth2/token';
/**
 * PEM of Lowkey Vault's self-signed certificate, written by `servers.sh up`; pass via NODE_EXTRA_CA_CERTS.
 * Resolved relative to this source file (<repo>/.servers/lowkey-ca.pem); override with env LOWKEY_CA_PEM
 * if this module is run from a compiled output directory.
 */
export const LOWKEY_CA_PEM: string =
  process.env['LOWKEY_CA_PEM'] ?? fileURLToPath(new URL('../../.servers/lowkey-ca.pem', import.meta.url));
