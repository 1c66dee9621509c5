/**
 * What a connection or TLS failure was, as a fresh Error that keeps only Node's own facts
 * (code, syscall, address, port). Adapters attach it as `cause` instead of the SDK's error
 * object, which may carry the request (headers with a token, a body with the value being
 * written). Codes are Node's (ECONNREFUSED, ENOTFOUND, ...) or OpenSSL's (CERT_HAS_EXPIRED, ...).
 */

const CODE = /^(E[A-Z0-9_]+|[A-Z][A-Z0-9_]*CERT[A-Z0-9_]*|ERR_TLS_[A-Z0-9_]+|UND_ERR_[A-Z_]+)$/;

export class NetworkCause extends Error {
  readonly code: string;
  constructor(code: string, detail: string) {
    super(detail ? `${code} ${detail}` : code);
    this.name = 'NetworkCause';
    this.code = code;
  }
}

interface NodeNetError {
  code?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * The Node network error in `error`, its causes and (Happy Eyeballs) AggregateErrors. HTTP
 * clients often copy the code onto their own wrapper without the address, so a nested error
 * that also says where is preferred.
 */
export function networkCause(error: unknown): NetworkCause | undefined {
  const found: NodeNetError[] = [];
  collect(error, 0, found);
  const best = found.find((e) => typeof e.address === 'string') ?? found.map(fromMessage)[0];
  if (!best || typeof best.code !== 'string') return undefined;
  const parts: string[] = [];
  if (typeof best.syscall === 'string' && /^[a-z]+$/.test(best.syscall)) parts.push(best.syscall);
  if (typeof best.address === 'string' && /^[0-9A-Fa-f.:]+$/.test(best.address)) {
    parts.push(typeof best.port === 'number' ? `${best.address}:${best.port}` : best.address);
  }
  return new NetworkCause(best.code, parts.join(' '));
}

// Node's own wording ("connect ECONNREFUSED 127.0.0.1:8200"), for clients (@azure/core-rest-pipeline)
// that keep the code and message but drop the fields. Only this exact shape is read.
const NODE_MESSAGE = /^([a-z]+) (E[A-Z0-9_]+) ([0-9A-Fa-f.:]+?)(?::(\d{1,5}))?$/;

function fromMessage(e: NodeNetError & { message?: unknown }): NodeNetError {
  const m = typeof e.message === 'string' ? NODE_MESSAGE.exec(e.message) : null;
  if (!m || m[2] !== e.code) return e;
  return { code: e.code, syscall: m[1], address: m[3], ...(m[4] ? { port: Number(m[4]) } : {}) };
}

function collect(error: unknown, depth: number, out: NodeNetError[]): void {
  if (depth > 6 || typeof error !== 'object' || error === null) return;
  const e = error as NodeNetError;
  if (typeof e.code === 'string' && CODE.test(e.code)) out.push(e);
  if (Array.isArray(e.errors)) for (const inner of e.errors) collect(inner, depth + 1, out);
  collect(e.cause, depth + 1, out);
}

/** `vault instance "prod" at https://vault:8200`: who could not be reached. */
export function instanceLabel(type: string, instance: string, address: string | undefined): string {
  return `${type} instance "${instance}"${address ? ` at ${address}` : ''}`;
}
