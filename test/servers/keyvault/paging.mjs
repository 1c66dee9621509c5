// Paging for list operations (`{ value: [...], nextLink }` with a `$skiptoken` nextLink, like the
// service), plus the test-only hostile-data modes. Test infrastructure only. Node built-ins only.
import { badParameter } from './http.mjs';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 25;

/**
 * Hostile-data switches (POST /_fake/hostile). All off by default.
 * @typedef {{ foreignNextLink: string | null, endlessEmptyPages: boolean, controlCharItems: boolean }} Hostile
 */

/** @returns {Hostile} */
export function hostileOff() {
  return { foreignNextLink: null, endlessEmptyPages: false, controlCharItems: false };
}

/**
 * Validate a POST /_fake/hostile body; fields left out are off.
 * @param {Record<string, unknown>} body
 * @returns {Hostile}
 */
export function parseHostile(body) {
  const h = hostileOff();
  const known = new Set(Object.keys(h));
  for (const k of Object.keys(body)) if (!known.has(k)) throw badParameter(`unknown hostile mode '${k}'`);
  if (body.foreignNextLink !== undefined && body.foreignNextLink !== null) {
    if (typeof body.foreignNextLink !== 'string')
      throw badParameter('foreignNextLink must be an origin string');
    const u = new URL(body.foreignNextLink);
    h.foreignNextLink = u.origin;
  }
  for (const k of /** @type {const} */ (['endlessEmptyPages', 'controlCharItems'])) {
    if (body[k] === undefined) continue;
    if (typeof body[k] !== 'boolean') throw badParameter(`${k} must be a boolean`);
    h[k] = body[k];
  }
  return h;
}

/** @param {Record<string, unknown>} token */
const encodeToken = (token) => Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');

/**
 * @param {string} raw
 * @returns {{ NextMarker: string, TargetLocation: number, Empty?: number }}
 */
function decodeToken(raw) {
  try {
    const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (t && typeof t.NextMarker === 'string') return t;
  } catch {
    // fall through
  }
  throw badParameter('The $skiptoken query parameter is invalid.');
}

/**
 * Parse `maxresults` (1..25; absent = 25).
 * @param {URLSearchParams} query
 */
export function pageSize(query) {
  const raw = query.get('maxresults');
  if (raw === null || raw === '') return { size: DEFAULT_PAGE_SIZE, given: false };
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw badParameter(
      `Invalid value '${raw}' for parameter maxresults; it must be between 1 and ${MAX_PAGE_SIZE}.`,
    );
  }
  return { size: n, given: true };
}

/**
 * Synthetic items whose ids carry control characters (hostile mode `controlCharItems`).
 * @param {'secrets' | 'versions' | 'deleted'} kind
 * @param {string} baseUrl
 * @param {string} [secretName]
 */
function controlCharItems(kind, baseUrl, secretName = 'x') {
  const attributes = {
    enabled: true,
    created: 1700000000,
    updated: 1700000000,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
  };
  const bad = [
    'ctl\u0000nul',
    'ctl\u001b[31mred\u001b[0m',
    'ctl\r\nX-Injected: 1',
    'ctl\u007fdel\u0085nel\u2028ls',
  ];
  return bad.map((b) => {
    if (kind === 'versions') return { id: `${baseUrl}/secrets/${secretName}/${b}`, attributes };
    const item = { id: `${baseUrl}/secrets/${b}`, attributes, tags: { [`k${b}`]: `v${b}` } };
    if (kind === 'deleted') {
      return {
        recoveryId: `${baseUrl}/deletedsecrets/${b}`,
        deletedDate: 1700000000,
        scheduledPurgeDate: 1707776000,
        ...item,
      };
    }
    return item;
  });
}

/**
 * Build one list page.
 * @param {{ items: { key: string, item: Record<string, unknown> }[], query: URLSearchParams, path: string,
 *   apiVersion: string, baseUrl: string, hostile: Hostile, kind: 'secrets' | 'versions' | 'deleted', secretName?: string }} a
 * @returns {{ value: Record<string, unknown>[], nextLink: string | null }}
 */
export function listPage(a) {
  const { size, given } = pageSize(a.query);
  const rawToken = a.query.get('$skiptoken');
  const token = rawToken ? decodeToken(rawToken) : null;

  /** @param {Record<string, unknown>} t */
  const link = (t) => {
    const origin = a.hostile.foreignNextLink ?? a.baseUrl;
    const qs = `api-version=${encodeURIComponent(a.apiVersion)}&$skiptoken=${encodeToken(t)}`;
    return `${origin}${a.path}?${qs}${given ? `&maxresults=${size}` : ''}`;
  };

  // Endless tail of empty pages (hostile mode `endlessEmptyPages`).
  if (token?.Empty !== undefined) {
    const n = Number(token.Empty) || 0;
    return { value: [], nextLink: link({ NextMarker: token.NextMarker, TargetLocation: 0, Empty: n + 1 }) };
  }

  const rest = token ? a.items.filter((x) => x.key > token.NextMarker) : a.items;
  const page = rest.slice(0, size);
  /** @type {Record<string, unknown>[]} */
  const value = page.map((x) => x.item);
  if (!token && a.hostile.controlCharItems)
    value.unshift(...controlCharItems(a.kind, a.baseUrl, a.secretName));

  const last = page.at(-1)?.key ?? token?.NextMarker ?? '';
  /** @type {string | null} */
  let nextLink = null;
  if (rest.length > size) nextLink = link({ NextMarker: last, TargetLocation: 0 });
  else if (a.hostile.endlessEmptyPages) nextLink = link({ NextMarker: last, TargetLocation: 0, Empty: 1 });
  else if (a.hostile.foreignNextLink) nextLink = link({ NextMarker: last, TargetLocation: 0 });
  return { value, nextLink };
}
