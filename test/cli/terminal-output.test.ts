/**
 * Issue 16, TTY vs machine: on a terminal, log lines are readable (pino-pretty) and never glued
 * onto a progress line, colours follow NO_COLOR / FORCE_COLOR, tables fit the terminal's width
 * by shortening free-text columns only; piped, the same commands print JSON log lines and whole
 * cells. The providers point at a closed loopback port so each logs its retries.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { scanProgress } from '../../src/cli/commands/scan.js';
import { runCli } from '../../src/cli/program.js';
import { renderTable } from '../../src/lib/text.js';
import { createLogger } from '../../src/log.js';
import { prettyDestination } from '../../src/log-pretty.js';
import { Capture, localConfig, scratchDir } from '../runbook/local-app.js';

const { dir } = scratchDir('nhi-tty-');
const config = localConfig(dir, 'tty', { 'aws-local': 'aws-local' });
const written = JSON.parse(readFileSync(config, 'utf8'));
written.providers['aws-local'].endpoint = 'http://127.0.0.1:9';
writeFileSync(config, JSON.stringify(written));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(tty: boolean, env: Record<string, string> = {}) {
  const stdout = Object.assign(new Capture(), { isTTY: tty, columns: 80 });
  const stderr = Object.assign(new Capture(), { isTTY: tty });
  const code = await runCli(['--config', config, 'inventory'], { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('terminal and machine output', () => {
  it('log lines: readable on a terminal (coloured unless NO_COLOR), JSON when piped', async () => {
    const tty = await run(true);
    expect(tty.code).not.toBe(0);
    const retried = tty.stderr.split('\r\x1b[2K').filter((l) => l.includes('aws call retried'));
    expect(retried.length).toBeGreaterThan(0);
    expect(retried[0]).toMatch(/^\[\d\d:\d\d:\d\d\] .*WARN.*aws call retried/);
    expect(retried[0]).toContain('\x1b[');
    const plain = await run(true, { NO_COLOR: '1' });
    const line = plain.stderr.split('\r\x1b[2K').find((l) => l.includes('aws call retried')) as string;
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: aws call retried/);
    expect(line).not.toContain('\x1b[');
    // Piped, log lines stay JSON on the process's stderr (fd 2; log-lines.test.ts reads them
    // from log.file): nothing readable-only reaches the command's output streams.
    const piped = await run(false);
    expect(piped.stderr).not.toContain('aws call retried');
  }, 60_000);

  it('readable log lines are terminal-safe: an escape sequence or bidi override in a field is shown escaped', async () => {
    const out = new Capture();
    const logger = createLogger({ level: 'info', destination: prettyDestination(out, true) });
    logger.warn(
      { ref: 'aws:secret:\x1b[2J\u202eevil', err: new Error('provider said \x1b]0;pwned\x07') },
      'aws call retried',
    );
    expect(out.text).toContain('aws:secret:\\u001b[2J\\u202eevil');
    expect(out.text).toContain('"err":"Error: provider said \\u001b]0;pwned\\u0007"');
    // One line per entry: the error's message, not its stack.
    expect(out.text.trimEnd().split('\n')).toHaveLength(1);
    // Only the prettifier's own colours and the progress-line clear remain as escapes.
    expect(out.text.replace(/\r\x1b\[2K|\x1b\[[0-9;]*m/g, '')).not.toMatch(/[\x00-\x08\x0b-\x1f\u202e]/);
  });

  it('a table of more rows than a function call takes arguments (a 150k-identity inventory) renders', () => {
    const rows = Array.from({ length: 150_000 }, (_, i) => [`aws-prod:secret:svc-${i}`, 'secret', 'enabled']);
    const table = renderTable(['REF', 'KIND', 'STATE'], rows, { color: false, maxWidth: 100 });
    const lines = table.split('\n');
    expect(lines).toHaveLength(150_002);
    expect(lines[150_001]).toBe('aws-prod:secret:svc-149999  secret  enabled');
  });

  it('tables fit the width by shortening free text, never refs; colours states when asked', () => {
    const ref = 'aws-prod:secret:payments/very/long/path/to/a/database/credential';
    const rows = [
      [ref, 'high *', 'not used for 400 days (last use 2025-10-28, day precision from LastAccessedDate)'],
    ];
    const fitted = renderTable(['REF', 'SEVERITY', 'SUMMARY'], rows, { color: false, maxWidth: 100 });
    for (const l of fitted.split('\n')) expect(l.length).toBeLessThanOrEqual(100);
    expect(fitted).toContain(ref);
    expect(fitted).toMatch(/not used for 400 days.*…/);
    // CJK counts double: the padding lines up by display width.
    const wide = renderTable(
      ['NAME', 'NOTE'],
      [
        ['支払い', 'x'],
        ['ab', 'y'],
      ],
      { color: false },
    );
    expect(wide.split('\n').slice(2)).toEqual(['支払い  x', 'ab      y']);
    const colored = renderTable(['REF', 'SEVERITY'], [[ref, 'critical']], { color: true });
    expect(colored).toContain('\x1b[1m\x1b[31mcritical');
    expect(renderTable(['REF', 'SEVERITY'], [[ref, 'critical']], { color: false })).not.toContain('\x1b[');
  });

  it('the scan progress line: provider, count of about the last full scan, rate, time', () => {
    const line = scanProgress(5000, Date.now() - 2_000);
    line('vault-local', 100);
    expect(line('aws-local', 300)).toMatch(/^scanning aws-local: 400 of ~5000 identities — \d+\/s, 2 s$/);
    expect(scanProgress(undefined)('aws-local', 3)).toMatch(/^scanning aws-local: 3 identities — /);
  });
});
