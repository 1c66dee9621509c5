/**
 * Issue 16 (CLI habits), through the built CLI, the real AWS adapter and the local moto server:
 * - exit 4 (`--fail-on`) says which findings caused it: counts by type and severity, the most
 *   severe refs first;
 * - `--out` where nothing can be written fails before the scan starts, not after it.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputWritable } from '../../src/lib/output-file.js';
import { CANARY, motoSecretsClient, motoSecretsProvider, writeTestConfig } from '../scan/helpers.js';
import { nhi } from './child.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const prefix = `nhi-exit4-${randomUUID().slice(0, 8)}/`;
const sm = motoSecretsClient();
afterAll(() => sm.destroy());

// Seven secrets nobody owns (orphaned): one privileged (high), six standard (medium).
beforeAll(async () => {
  for (let i = 0; i < 7; i++) {
    await sm.send(
      new CreateSecretCommand({
        Name: `${prefix}svc-${i}`,
        SecretString: `${CANARY}-${i}`,
        Tags: i === 3 ? [{ Key: 'tier', Value: 'privileged' }] : [],
      }),
    );
  }
});

function workspace() {
  const { configPath, env, dir } = writeTestConfig({ providers: { moto: motoSecretsProvider(prefix) } });
  return { dir, env, run: (args: string[]) => nhi(['--config', configPath, ...args], { cwd: dir, env }) };
}

describe('nhi scan --fail-on: exit 4 names its findings', () => {
  it('counts by type and severity on stderr, most severe refs first, then how many more', () => {
    const ws = workspace();
    const r = ws.run(['scan', '--format', 'json', '--fail-on', 'medium', '--no-alert']);
    expect(r.code, r.stderr).toBe(4);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      'exit 4: 7 open finding(s) at or above --fail-on medium: orphaned (1 high, 6 medium)',
    );
    expect(lines[1]).toMatch(new RegExp(`^  high +orphaned +moto:secret:${prefix}svc-3$`));
    expect(lines[2]).toMatch(new RegExp(`^  medium +orphaned +moto:secret:${prefix}svc-0$`));
    expect(lines.slice(1, 6)).toHaveLength(5);
    expect(lines[6]).toBe('  ... and 2 more: nhi findings --open');
    // The report on stdout is untouched by it.
    expect(JSON.parse(r.stdout)).toHaveProperty('schemaVersion');
    expect(r.stdout + r.stderr).not.toContain(CANARY);

    const high = ws.run(['scan', '--format', 'json', '--fail-on', 'high', '--no-alert']);
    expect(high.code).toBe(4);
    expect(high.stderr.trim().split('\n')).toEqual([
      'exit 4: 1 open finding(s) at or above --fail-on high: orphaned (1 high)',
      expect.stringMatching(new RegExp(`^  high +orphaned +moto:secret:${prefix}svc-3$`)),
    ]);

    const none = ws.run(['scan', '--format', 'json', '--fail-on', 'critical', '--no-alert']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).not.toContain('exit 4');
  });
});

describe('nhi scan --out: an unwritable path fails before the scan', () => {
  it('a path under a regular file, or in /proc: exit 2 and no scan recorded', () => {
    const ws = workspace();
    const file = join(ws.dir, 'plain-file');
    writeFileSync(file, 'x');
    for (const [out, why] of [
      [join(file, 'report.html'), `${file} is not a directory`],
      ['/proc/nhi-report.html', 'cannot create a file in /proc'],
    ] as const) {
      const r = ws.run(['scan', '--format', 'html', '--out', out, '--no-alert']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`--out ${out}: ${why}`);
    }
    // Nothing was scanned: no finding exists yet for these secrets.
    const findings = ws.run(['findings', '--json']);
    expect(findings.code, findings.stderr).toBe(0);
    expect(JSON.parse(findings.stdout).findings).toEqual([]);
  });
});

describe('checkOutputWritable', () => {
  it('a missing directory is fine when it will be made (and is not made yet), refused otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nhi-writable-'));
    await checkOutputWritable(join(dir, 'reports', '2026', 'r.html'), { makeDir: true });
    expect(readdirSync(dir)).toEqual([]);
    await expect(checkOutputWritable(join(dir, 'reports', 'r.html'))).rejects.toThrow(/does not exist/);
    await checkOutputWritable(join(dir, 'r.html'));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a directory the process may not write into', async () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere permission bits allow nothing; /proc refuses even root.
      await expect(checkOutputWritable('/proc/r.html')).rejects.toMatchObject({ code: 'usage' });
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'nhi-writable-'));
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    await expect(checkOutputWritable(join(locked, 'r.html'))).rejects.toThrow(/EACCES/);
  });
});
