import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names that may carry secret material anywhere in a log object. pino replaces
 * them with "[redacted]" before serialising; SecretValue also redacts itself, so this
 * is the second of two independent guards.
 */
export const REDACT_PATHS = [
  'secret',
  'value',
  'password',
  'token',
  'secretId',
  'secret_id',
  'clientSecret',
  'secretAccessKey',
  'SecretString',
  'SecretAccessKey',
  'authorization',
  'headers.authorization',
  'headers["x-vault-token"]',
  '*.secret',
  '*.value',
  '*.password',
  '*.token',
  '*.secretId',
  '*.secret_id',
  '*.clientSecret',
  '*.secretAccessKey',
  '*.SecretString',
  '*.SecretAccessKey',
  '*.authorization',
];

/**
 * Key names treated as secret at ANY depth (pino's redact paths stop at one level of
 * nesting and are case-sensitive): a `token` three objects down, or inside an array, is
 * still a token. Matched case-insensitively against the whole key or its suffix.
 */
const SECRET_KEY =
  /(?:^value$|^secret_?id$|^secretstring$|^secretbinary$|^secretaccesskey$|^x-vault-token$|^cookie$|password$|passwd$|passphrase$|token$|secret$|api_?key$|private_?key$|authorization$)/i;
const MAX_DEPTH = 12;

/** A copy of `node` with every secret-named field replaced; only plain objects and arrays are walked. */
export function redactSecretFields(node: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (node === null || typeof node !== 'object') return node;
  const isArray = Array.isArray(node);
  const proto = Object.getPrototypeOf(node) as unknown;
  // Errors, SecretValue, Buffers, Dates keep their own serialisation (SecretValue redacts itself).
  if (!isArray && proto !== Object.prototype && proto !== null) return node;
  if (seen.has(node)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(node);
  const out: unknown = isArray
    ? node.map((child) => redactSecretFields(child, depth + 1, seen))
    : Object.fromEntries(
        Object.entries(node).map(([k, v]) => [
          k,
          SECRET_KEY.test(k) && v !== undefined && v !== null
            ? '[redacted]'
            : redactSecretFields(v, depth + 1, seen),
        ]),
      );
  seen.delete(node);
  return out;
}

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; default stderr (stdout is for human output). */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { app: 'nhi' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactSecretFields(object) as Record<string, unknown>,
        bindings: (bindings) => redactSecretFields(bindings) as Record<string, unknown>,
      },
    },
    opts.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that keeps every line in memory (tests, canary checks). */
export function createMemoryLogger(level = 'trace'): { logger: Logger; lines: () => string } {
  const chunks: string[] = [];
  const destination: DestinationStream = { write: (s: string) => void chunks.push(s) };
  return { logger: createLogger({ level, destination }), lines: () => chunks.join('') };
}
