// HTTP helpers for the fake Azure Key Vault: JSON responses, Key Vault error bodies, body reading.
// Test infrastructure only (see test/servers/README.md). Node built-ins only.
import { randomUUID } from 'node:crypto';

/** Largest request body accepted (the real service caps a secret value at 25 KiB; this is only a safety net). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An error that maps to a Key Vault error response `{ error: { code, message, innererror? } }`. */
export class KvError extends Error {
  /**
   * @param {number} status HTTP status
   * @param {string} code service error code (`error.code`)
   * @param {string} message service message (`error.message`)
   * @param {string} [innerCode] optional `error.innererror.code`
   */
  constructor(status, code, message, innerCode) {
    super(message);
    this.status = status;
    this.code = code;
    this.innerCode = innerCode;
  }

  /** @returns {{ error: { code: string, message: string, innererror?: { code: string } } }} */
  body() {
    /** @type {{ code: string, message: string, innererror?: { code: string } }} */
    const error = { code: this.code, message: this.message };
    if (this.innerCode) error.innererror = { code: this.innerCode };
    return { error };
  }
}

export const badParameter = (/** @type {string} */ message) => new KvError(400, 'BadParameter', message);

/**
 * Write a JSON response with the headers the real service sends (content type, request id).
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} [body] omitted for 204
 * @param {Record<string, string>} [headers]
 */
export function sendJson(res, status, body, headers = {}) {
  res.setHeader('x-ms-request-id', randomUUID());
  res.setHeader('cache-control', 'no-cache');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body === undefined || status === 204) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {KvError} err
 * @param {Record<string, string>} [headers]
 */
export function sendError(res, err, headers) {
  sendJson(res, err.status, err.body(), headers);
}

/**
 * Read the whole request body (bounded).
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<Buffer>}
 */
export function readBody(req) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new KvError(413, 'BadParameter', 'The request body is too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Parse a JSON object body. An empty body or a non-object is a 400 like the service.
 * @param {Buffer} raw
 * @returns {Record<string, unknown>}
 */
export function parseJsonObject(raw) {
  if (raw.length === 0) throw badParameter('The request body is empty; a JSON object is required.');
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw badParameter('The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badParameter('The request body must be a JSON object.');
  }
  return /** @type {Record<string, unknown>} */ (parsed);
}

/**
 * Path for logs: no query string (it can carry skip tokens), control characters escaped.
 * @param {string} pathname
 */
export function loggablePath(pathname) {
  const escaped = pathname.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return escaped.length > 200 ? `${escaped.slice(0, 200)}...` : escaped;
}
