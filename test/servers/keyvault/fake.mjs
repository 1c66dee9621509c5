// Test-only management endpoints of the fake Azure Key Vault, all under /_fake/ (no auth, loopback only).
// They do not exist on the real service.
//
//   GET  /_fake/info       implementation name, base URL, api-versions, hostile modes, counts
//   POST /_fake/reset      wipe all secrets (live and deleted), hostile modes and the request log
//   GET  /_fake/hostile    current hostile-data modes
//   POST /_fake/hostile    set hostile-data modes; body replaces all modes (left out = off):
//                          { "foreignNextLink": "https://evil.example" | null,   list nextLinks use this origin
//                            "endlessEmptyPages": true,  after the last real page: empty pages with a nextLink, forever
//                            "controlCharItems": true }  first list page gets items whose ids/tags hold control chars
//   GET  /_fake/requests   recent requests [{ method, path, status }] (path without query), oldest first
//
// Test infrastructure only (see test/servers/README.md). Node built-ins only.
import { badParameter, KvError, parseJsonObject, readBody, sendJson } from './http.mjs';
import { hostileOff, parseHostile } from './paging.mjs';

/**
 * @param {{ req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL,
 *   state: { store: import('./store.mjs').Store, hostile: import('./paging.mjs').Hostile,
 *   requests: { method: string, path: string, status: number }[] }, info: Record<string, unknown> }} ctx
 */
export async function handleFake({ req, res, url, state, info }) {
  const method = req.method ?? 'GET';
  const route = `${method} ${url.pathname.replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET /_fake/info':
      return sendJson(res, 200, {
        ...info,
        hostile: state.hostile,
        secrets: state.store.listSecrets().length,
        deletedSecrets: state.store.listDeleted().length,
      });
    case 'POST /_fake/reset':
      state.store.reset();
      state.hostile = hostileOff();
      state.requests.length = 0;
      return sendJson(res, 200, { reset: true });
    case 'GET /_fake/hostile':
      return sendJson(res, 200, state.hostile);
    case 'POST /_fake/hostile': {
      const raw = await readBody(req);
      const body = raw.length === 0 ? {} : parseJsonObject(raw);
      try {
        state.hostile = parseHostile(body);
      } catch (e) {
        if (e instanceof KvError) throw e;
        throw badParameter(`invalid hostile configuration: ${String(e)}`);
      }
      return sendJson(res, 200, state.hostile);
    }
    case 'GET /_fake/requests':
      return sendJson(res, 200, { value: state.requests });
    default:
      throw new KvError(404, 'NotFound', `no test endpoint ${route}`);
  }
}
