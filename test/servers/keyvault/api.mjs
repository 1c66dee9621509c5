// Key Vault secrets REST operations (data plane) of the fake Azure Key Vault.
// Test infrastructure only (see test/servers/README.md). Node built-ins only.
import { badParameter, KvError, parseJsonObject, readBody, sendJson } from './http.mjs';
import { listPage } from './paging.mjs';

/** api-version values accepted (others: 400 BadParameter, like the service). */
export const API_VERSIONS = [
  '2016-10-01',
  '7.0',
  '7.1',
  '7.2',
  '7.3',
  '7.4',
  '7.5',
  '7.6-preview.2',
  '7.6',
  '2025-07-01',
];
export const LATEST_API_VERSION = '2025-07-01';

/**
 * @param {URLSearchParams} query
 * @returns {string}
 */
export function checkApiVersion(query) {
  const v = query.get('api-version');
  if (v === null || v === '') throw badParameter('The api-version query parameter is required.');
  if (!API_VERSIONS.includes(v)) {
    throw badParameter(
      `The specified version (${v}) is not recognized. Consider using the latest supported version (${LATEST_API_VERSION}).`,
    );
  }
  return v;
}

/** @param {string} seg */
function decodeSegment(seg) {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw badParameter('The request URI is malformed.');
  }
}

const notImplemented = (/** @type {string} */ what) =>
  new KvError(
    501,
    'NotImplemented',
    `${what} is not implemented by the nhi-reissue fake Key Vault (test/servers/keyvault).`,
  );

/**
 * Route one authenticated Key Vault request. Throws KvError for service errors.
 * @param {{ req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL,
 *   apiVersion: string, store: import('./store.mjs').Store, baseUrl: string,
 *   hostile: () => import('./paging.mjs').Hostile }} ctx
 */
export async function handleApi(ctx) {
  const { req, res, url, store } = ctx;
  const method = req.method ?? 'GET';
  // Keep a trailing empty segment: GET /secrets/{name}/ means "latest version".
  const segs = url.pathname.split('/').slice(1).map(decodeSegment);
  const [collection, name, sub, extra] = segs;
  const page = (
    /** @type {any} */ items,
    /** @type {'secrets' | 'versions' | 'deleted'} */ kind,
    secretName = '',
  ) =>
    listPage({
      items,
      query: url.searchParams,
      path: url.pathname,
      apiVersion: ctx.apiVersion,
      baseUrl: ctx.baseUrl,
      hostile: ctx.hostile(),
      kind,
      secretName,
    });
  const body = async () => parseJsonObject(await readBody(req));
  const methodNotAllowed = () =>
    new KvError(405, 'MethodNotAllowed', `The requested method ${method} is not allowed for this resource.`);

  if (collection === 'secrets') {
    if (name === undefined || (name === '' && segs.length === 2)) {
      if (method !== 'GET') throw methodNotAllowed();
      return sendJson(res, 200, page(store.listSecrets(), 'secrets'));
    }
    if (name === 'restore' && sub === undefined && method === 'POST') throw notImplemented('RestoreSecret');
    if (extra !== undefined) throw new KvError(404, 'NotFound', 'The requested resource was not found.');
    if (sub === undefined) {
      // /secrets/{name}
      if (method === 'PUT') return sendJson(res, 200, store.set(name, await body()));
      if (method === 'DELETE') return sendJson(res, 200, store.delete(name));
      if (method === 'GET') return sendJson(res, 200, store.get(name, ''));
      if (method === 'PATCH') return sendJson(res, 200, store.update(name, '', await body()));
      throw methodNotAllowed();
    }
    if (sub === 'versions') {
      if (method !== 'GET') throw methodNotAllowed();
      return sendJson(res, 200, page(store.listVersions(name), 'versions', name));
    }
    if (sub === 'backup') {
      if (method !== 'POST') throw methodNotAllowed();
      throw notImplemented('BackupSecret');
    }
    // /secrets/{name}/{version}  ('' = latest)
    if (method === 'GET') return sendJson(res, 200, store.get(name, sub));
    if (method === 'PATCH') return sendJson(res, 200, store.update(name, sub, await body()));
    throw methodNotAllowed();
  }

  if (collection === 'deletedsecrets') {
    if (name === undefined || (name === '' && segs.length === 2)) {
      if (method !== 'GET') throw methodNotAllowed();
      return sendJson(res, 200, page(store.listDeleted(), 'deleted'));
    }
    if (extra !== undefined) throw new KvError(404, 'NotFound', 'The requested resource was not found.');
    if (sub === undefined || sub === '') {
      if (method === 'GET') return sendJson(res, 200, store.getDeleted(name));
      if (method === 'DELETE') {
        store.purge(name);
        return sendJson(res, 204);
      }
      throw methodNotAllowed();
    }
    if (sub === 'recover') {
      if (method !== 'POST') throw methodNotAllowed();
      return sendJson(res, 200, store.recover(name));
    }
    throw new KvError(404, 'NotFound', 'The requested resource was not found.');
  }

  if (
    ['keys', 'deletedkeys', 'certificates', 'deletedcertificates', 'storage', 'rng', 'settings'].includes(
      collection ?? '',
    )
  ) {
    throw notImplemented(`/${collection}`);
  }
  throw new KvError(404, 'NotFound', 'The requested resource was not found.');
}
