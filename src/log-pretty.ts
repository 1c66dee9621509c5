/**
 * Log lines for a person at a terminal (pino-pretty): one readable line per entry instead of
 * JSON. Loaded only when stderr is a terminal, so scripts, pipes and `nhi serve` under a
 * supervisor keep JSON lines and pay nothing for it. Redaction happens before this (pino's
 * redact and the formatters in log.ts): only already-redacted lines reach the prettifier.
 */
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

export async function prettyDestination(
  out: { write(text: string): unknown },
  colorize: boolean,
): Promise<DestinationStream> {
  const { prettyFactory } = await import('pino-pretty');
  const pretty = prettyFactory({
    colorize,
    ignore: 'pid,hostname,app',
    translateTime: 'SYS:HH:MM:ss',
    singleLine: true,
  });
  // Clear a progress line first (\r + erase line), so a log line never lands glued onto it.
  return {
    write: (line: string) => {
      let entry: unknown = line;
      try {
        entry = terminalSafe(JSON.parse(line));
      } catch {
        entry = safeText(line);
      }
      out.write(`\r\x1b[2K${pretty(entry as object)}`);
    },
  };
}
