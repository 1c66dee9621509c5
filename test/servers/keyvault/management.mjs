// Lowkey Vault-shaped management endpoints of the fake Azure Key Vault (no auth, loopback only), so a test
// that moves the clock works against either the fake or a Lowkey Vault jar. Not on the real service.
//
//   PUT /management/vault/time/all?seconds=N[&regenerateCertificates=b][&namePrefix=P]   every vault (the one)
//   PUT /management/vault/time?baseUri=U&seconds=N[&regenerateCertificates=b][&namePrefix=P]   one vault
//
// As in Lowkey Vault (VaultManagementController.timeShiftAll / timeShiftSingle, 7.x): the request needs
// `Content-Type: application/json` (the body is ignored; Lowkey answers 415 without it), `seconds` must be a
// positive integer (400 otherwise), the answer is 204 with no body, and every timestamp of every secret moves
// N seconds into the past: each version's created, updated, nbf, exp, and a soft-deleted secret's deletedDate
// and scheduledPurgeDate; soft-deleted secrets whose scheduledPurgeDate is then in the past are purged.
// `regenerateCertificates` is accepted and ignored (the fake has no certificates).
//
// Extension of this fake only: `namePrefix=P` shifts only secrets whose name starts with P (case-insensitive),
// so a suite can age its own secrets without moving those of suites running at the same time. Lowkey does not
// know the parameter (Spring ignores unknown query parameters) and shifts the whole vault.
//
// Test infrastructure only (see test/servers/README.md). Node built-ins only.
import { badParameter, KvError, readBody, sendJson } from './http.mjs';

/** Lowkey's `seconds` is a Java int. */
const MAX_SECONDS = 2_147_483_647;

/** @param {URLSearchParams} q */
function secondsParam(q) {
  const raw = q.get('seconds');
  if (raw === null || raw === '') throw badParameter('Required request parameter seconds is missing.');
  if (!/^[+-]?\d+$/.test(raw) || Math.abs(Number(raw)) > MAX_SECONDS)
    throw badParameter(`Parameter seconds must be an integer: ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n <= 0) throw badParameter('Offset must be positive.');
  return n;
}

/** @param {URLSearchParams} q */
function checkRegenerate(q) {
  const raw = q.get('regenerateCertificates');
  if (raw !== null && !/^(true|false)$/i.test(raw))
    throw badParameter(`Parameter regenerateCertificates must be a boolean: ${JSON.stringify(raw)}`);
}

/** The fake serves one vault under any host name; baseUri must name this port on localhost/127.0.0.1. */
function checkBaseUri(/** @type {string | null} */ raw, /** @type {string} */ baseUrl) {
  if (raw === null || raw === '') throw badParameter('Required request parameter baseUri is missing.');
  let uri;
  try {
    uri = new URL(raw);
  } catch {
    throw badParameter(`Parameter baseUri is not a URI: ${JSON.stringify(raw)}`);
  }
  const own = new URL(baseUrl);
  const port = (/** @type {URL} */ u) => u.port || (u.protocol === 'https:' ? '443' : '80');
  const known = new Set([own.hostname, 'localhost', '127.0.0.1']);
  if (uri.protocol !== own.protocol || port(uri) !== port(own) || !known.has(uri.hostname))
    throw new KvError(404, 'NotFound', `Unable to find vault: ${raw}`);
}

/**
 * @param {{ req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL,
 *   store: import('./store.mjs').Store, baseUrl: string }} ctx
 */
export async function handleManagement({ req, res, url, store, baseUrl }) {
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '');
  const single = path === '/management/vault/time';
  if (path !== '/management/vault/time/all' && !single) {
    throw new KvError(
      404,
      'NotFound',
      `${method} ${path}: only the time-shift endpoints of Lowkey Vault's management API are implemented by the nhi-reissue fake Key Vault`,
    );
  }
  if (method !== 'PUT')
    throw new KvError(405, 'MethodNotAllowed', `Request method '${method}' is not supported.`);
  await readBody(req); // drained, ignored (Lowkey ignores it too)
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (type !== 'application/json')
    throw new KvError(415, 'UnsupportedMediaType', `Content-Type '${type}' is not supported.`);
  const q = url.searchParams;
  if (single) checkBaseUri(q.get('baseUri'), baseUrl);
  const seconds = secondsParam(q);
  checkRegenerate(q);
  const shifted = store.timeShift(seconds, q.get('namePrefix') ?? '');
  console.log(
    `[keyvault] time shift ${seconds}s: ${shifted.secrets} secret(s), ${shifted.deletedSecrets} deleted, ${shifted.versions} version(s), ${shifted.purged} purged`,
  );
  return sendJson(res, 204);
}
