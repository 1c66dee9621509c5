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
      formatters: { level: (label) => ({ level: label }) },
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
