/**
 * Log lines for a person at a terminal (pino-pretty): one readable line per entry instead of
 * JSON. Loaded only when stderr is a terminal, so scripts, pipes and `nhi serve` under a
 * supervisor keep JSON lines and pay nothing for it. Redaction happens before this (pino's
 * redact and the formatters in log.ts): only already-redacted lines reach the prettifier.
 */
import type { DestinationStream } from 'pino';

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
  return { write: (line: string) => void out.write(`\r\x1b[2K${pretty(line)}`) };
}
