import { createRequire } from 'node:module';
import type { DestinationStream, Logger } from 'pino';

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

/** pino itself, loaded on first use (CommonJS, so by `require`). */
export function pinoModule(): typeof import('pino').default {
  return createRequire(import.meta.url)('pino');
}

/** pino's numeric levels: a call below the logger's level writes nothing. */
const LEVELS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

/**
 * A pino logger, built when the first line at its level is written (or anything else of it is
 * asked for): a command that logs nothing, as most CLI runs at the default level, never loads
 * pino (~16 ms of its start; docs/adr/090-performance.md). Children are as lazy as their parent.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const build = () => {
    const pino = pinoModule();
    return pino(
      {
        level,
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
  };
  // An unknown level: built now, so pino's own error says so where the logger is made.
  const threshold = LEVELS[level];
  return threshold === undefined ? build() : deferred(build, threshold);
}

const noop = () => {};

function deferred(build: () => Logger, threshold: number): Logger {
  let real: Logger | undefined;
  const get = () => {
    real ??= build();
    return real;
  };
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(Object.create(null) as Logger, {
    get(_target, key) {
      if (!real) {
        if (key === 'child')
          return (bindings: Record<string, unknown>, options?: { level?: string }) =>
            deferred(() => get().child(bindings, options), LEVELS[options?.level ?? ''] ?? threshold);
        if (typeof key === 'string' && (LEVELS[key] ?? 0) > 0 && (LEVELS[key] as number) < threshold)
          return noop;
        // Nothing written yet: nothing to flush.
        if (key === 'flush') return noop;
      }
      const logger = get();
      const value: unknown = Reflect.get(logger, key);
      if (typeof value !== 'function') return value;
      let fn = bound.get(key);
      if (!fn) {
        fn = value.bind(logger);
        bound.set(key, fn);
      }
      return fn;
    },
    set: (_target, key, value) => Reflect.set(get(), key, value),
    has: (_target, key) => Reflect.has(get(), key),
  });
}

/** A logger that keeps every line in memory (tests, canary checks). */
export function createMemoryLogger(level = 'trace'): { logger: Logger; lines: () => string } {
  const chunks: string[] = [];
  const destination: DestinationStream = { write: (s: string) => void chunks.push(s) };
  return { logger: createLogger({ level, destination }), lines: () => chunks.join('') };
}
