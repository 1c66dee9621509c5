/**
 * Log lines for a person at a terminal (pino-pretty): one readable line per entry instead of
 * JSON. Loaded only when stderr is a terminal, so scripts, pipes and `nhi serve` under a
 * supervisor keep JSON lines and pay nothing for it. Redaction happens before this (pino's
 * redact and the formatters in log.ts): only already-redacted lines reach the prettifier.
 */
import { createRequire } from 'node:module';
import type { DestinationStream } from 'pino';
import { safeText } from './lib/safe-text.js';

/**
 * The entry with every string (keys too) made terminal-safe: JSON lines carry control
 * characters escaped, but the prettifier decodes them, so a ref or a provider's message with an
 * escape sequence or a bidi override would reach the terminal as such.
 */
function terminalSafe(value: unknown): unknown {
  if (typeof value === 'string') return safeText(value);
  if (Array.isArray(value)) return value.map(terminalSafe);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [safeText(k), terminalSafe(v)]));
  return value;
}

/**
 * An error field as one line ("Error ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9"), not the
 * prettifier's multi-line block with its stack: a person at the terminal reads what went wrong;
 * the JSON lines (piped, log.file) keep the whole error.
 */
function oneLineErrors(entry: Record<string, unknown>): Record<string, unknown> {
  for (const key of ['err', 'error']) {
    const e = entry[key] as { type?: unknown; code?: unknown; message?: unknown } | undefined;
    if (e === null || typeof e !== 'object' || typeof e.message !== 'string') continue;
    const head = [e.type, e.code].filter((p) => typeof p === 'string' && p !== '').join(' ');
    entry[key] = head ? `${head}: ${e.message}` : e.message;
  }
  return entry;
}

/** pino-pretty's line formatter, loaded by `require` (CommonJS) when the first line is written. */
function prettifier(colorize: boolean): (entry: object) => string {
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return prettyFactory({
    colorize,
    ignore: 'pid,hostname,app',
    translateTime: 'SYS:HH:MM:ss',
    singleLine: true,
    // Errors are made one line below (oneLineErrors), so they print with the other fields.
    errorLikeObjectKeys: [],
  });
}

/**
 * Where a terminal's log lines go. pino-pretty (~25 ms to load) is loaded at the first line, so
 * an interactive command that logs nothing does not pay for it (docs/adr/090-performance.md).
 */
export function prettyDestination(
  out: { write(text: string): unknown },
  colorize: boolean,
): DestinationStream {
  let pretty: ((entry: object) => string) | undefined;
  // Clear a progress line first (\r + erase line), so a log line never lands glued onto it.
  return {
    write: (line: string) => {
      let entry: unknown = line;
      try {
        entry = oneLineErrors(terminalSafe(JSON.parse(line)) as Record<string, unknown>);
      } catch {
        entry = safeText(line);
      }
      pretty ??= prettifier(colorize);
      out.write(`\r\x1b[2K${pretty(entry as object)}`);
    },
  };
}
