/**
 * Issue 16: under `--json` an error is one JSON object on stderr (code, exit, message, and
 * the rule / problems / details a script branches on), never text, and stdout stays empty —
 * for commander's own usage errors, config errors, and policy refusals alike.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { exampleCopy } from '../example-config.js';
import { Capture } from '../runbook/local-app.js';

async function cli(...args: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(args, { stdout, stderr, env: {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function oneJsonLine(text: string): Record<string, unknown> {
  const lines = text.split('\n').filter(Boolean);
  expect(lines, text).toHaveLength(1);
  return JSON.parse(lines[0] as string) as Record<string, unknown>;
}

describe('errors under --json', () => {
  it('a usage error from the parser: one JSON object, exit 2, no help text', async () => {
    const r = await cli('--json', 'scan', '--formatt', 'html');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneJsonLine(r.stderr)).toEqual({
      schemaVersion: 1,
      error: { code: 'usage', exit: 2, message: expect.stringMatching(/unknown option '--formatt'/) },
    });
    // Without --json the same mistake is text, with the usage hint.
    const text = await cli('scan', '--formatt', 'html');
    expect(text.stderr).toMatch(/^error: unknown option '--formatt'/);
    expect(text.stderr).toMatch(/nhi --help/);
  });

  it('an error quoting what it was given shows it terminal-safe: no escape sequence or bidi override gets through', async () => {
    const { dir, config } = exampleCopy();
    const crafted = join(dir, 'crafted.json');
    const key = '\x1b[2J\u202estat';
    writeFileSync(
      crafted,
      JSON.stringify({ ...JSON.parse((await import('node:fs')).readFileSync(config, 'utf8')), [key]: {} }),
    );
    const text = await cli('--config', crafted, 'config', 'check');
    expect(text.code).toBe(2);
    expect(text.stderr).toContain('unknown field(s): \\u001b[2J\\u202estat');
    expect(text.stderr).not.toContain('\x1b');
    expect(text.stderr).not.toContain('\u202e');
  });

  it('a config error carries its problems (path, expected, found)', async () => {
    const { dir, config } = exampleCopy();
    const broken = join(dir, 'broken.json');
    writeFileSync(
      broken,
      JSON.stringify({ ...JSON.parse((await import('node:fs')).readFileSync(config, 'utf8')), stat: {} }),
    );
    const r = await cli('--json', '--config', broken, 'config', 'check');
    expect(r.code).toBe(2);
    const body = oneJsonLine(r.stderr) as {
      error: { code: string; exit: number; problems: { path: string }[] };
    };
    expect(body.error.code).toBe('config');
    expect(body.error.exit).toBe(2);
    // (No "did you mean state": the config has a state block already.)
    expect(body.error.problems).toEqual([
      expect.objectContaining({ path: '(root)', message: 'unknown field(s): stat', found: '"stat"' }),
    ]);
  });

  it('a usage error of a command (a bad --concurrency) and a missing incident', async () => {
    const { config } = exampleCopy();
    const bad = await cli(
      '--json',
      '--config',
      config,
      'incident',
      'run',
      'inc_x',
      '--as',
      'carol',
      '--concurrency',
      '0',
    );
    expect(oneJsonLine(bad.stderr)).toEqual({
      schemaVersion: 1,
      error: {
        code: 'usage',
        exit: 2,
        message: '--concurrency must be a whole number from 1 to 256 (got 0)',
      },
    });
  });
});
