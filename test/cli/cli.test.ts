import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { runCli } from '../../src/cli/program.js';
import { exampleCopy } from '../example-config.js';
import { testCliMain } from '../servers/test-build.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** config.example.json with examples/ beside it, private keys at 0600 (git keeps no modes). */
const EXAMPLE = exampleCopy().config;

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(argv, { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A working directory with its own keys (made by `nhi keygen`), state file and config. */
async function makeWorkspace(): Promise<{ dir: string; config: string; db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-cli-'));
  expect((await cli(['keygen', '--out', join(dir, 'audit')])).code).toBe(0);
  writeFileSync(join(dir, 'fingerprint.key'), 'fingerprint-key-for-tests\n', { mode: 0o600 });
  const config = join(dir, 'nhi.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      state: { path: './state/nhi.db' },
      keys: {
        fingerprint: 'file:fingerprint.key',
        auditSigning: 'file:audit.key',
        auditPublicKey: 'file:audit.pub',
      },
      log: { level: 'silent' },
      providers: { 'aws-test': { type: 'aws', region: 'eu-west-1', credentials: { method: 'default' } } },
    }),
  );
  return { dir, config, db: join(dir, 'state', 'nhi.db') };
}

async function appendEntries(config: string, n: number): Promise<void> {
  const app = await createApp({ configPath: config, env: {} });
  try {
    for (let i = 1; i <= n; i++) {
      await app.audit.record(app.store.audit, {
        type: 'test.event',
        actor: 'carol',
        subject: `req-${i}`,
        data: { i },
      });
    }
    await app.audit.checkpoint(app.store.audit);
  } finally {
    await app.close();
  }
}

describe('nhi CLI (in-process)', () => {
  it('--help lists every command of the CLI surface', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const command of [
      'config check',
      'inventory',
      'scan',
      'findings',
      'plan',
      'request',
      'approve',
      'deny',
      'run',
      'resume',
      'status',
      'lineage',
      'audit verify',
      'audit export',
      'keygen',
      'serve',
    ]) {
      expect(stdout, command).toMatch(new RegExp(`^\\s+${command}\\b|\\b${command}\\b`, 'm'));
    }
    const listed = [...stdout.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]);
    expect(listed).toEqual(
      expect.arrayContaining([
        'config',
        'inventory',
        'scan',
        'findings',
        'plan',
        'request',
        'approve',
        'deny',
      ]),
    );
    expect(listed).toEqual(
      expect.arrayContaining(['run', 'resume', 'status', 'lineage', 'audit', 'keygen', 'serve']),
    );
  });

  it('lists the subcommands of config and audit', async () => {
    expect((await cli(['config', '--help'])).stdout).toMatch(/^\s+check\b/m);
    const audit = await cli(['audit', '--help']);
    expect(audit.stdout).toMatch(/^\s+verify\b/m);
    expect(audit.stdout).toMatch(/^\s+export\b/m);
  });

  it('exits 2 with a usage hint for an unknown command', async () => {
    const { code, stderr } = await cli(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'frobnicate'");
    expect(stderr).toContain('nhi --help');
  });

  it('exits 2 with a usage hint for an unknown flag', async () => {
    const { code, stderr } = await cli(['config', 'check', '--frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--frobnicate'");
    expect(stderr).toContain('nhi --help');
  });

  it('exits 2 when a required option is missing', async () => {
    const { code, stderr } = await cli(['keygen']);
    expect(code).toBe(2);
    expect(stderr).toContain('--out');
  });

  it('config check accepts config.example.json (exit 0)', async () => {
    const { code, stdout, stderr } = await cli(['config', 'check', '--config', EXAMPLE]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('config ok');
    expect(stdout).toContain('vault-prod (vault), aws-prod (aws), azure-prod (azure)');
  });

  it('config check --json prints a machine-readable summary', async () => {
    const { code, stdout } = await cli(['--json', 'config', 'check', '--config', EXAMPLE]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, providers: { 'aws-prod': 'aws' }, principals: 4 });
  });

  it('config check finds the config through NHI_CONFIG', async () => {
    expect((await cli(['config', 'check'], { NHI_CONFIG: EXAMPLE })).code).toBe(0);
  });

  it('config check exits 2 and names the JSON path of a wrong-typed field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nhi-cli-'));
    const raw = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { scan: { standard: { dormantDays: unknown } } };
    raw.scan.standard.dormantDays = 'ninety';
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify(raw));
    const { code, stderr } = await cli(['config', 'check', '--config', path]);
    expect(code).toBe(2);
    expect(stderr).toContain('scan.standard.dormantDays');
    expect(stderr).toContain('expected: number');
    expect(stderr).toContain('found:    a string of 6 character(s)');
  });

  it('config check exits 2 naming the missing file', async () => {
    const { code, stderr } = await cli(['config', 'check', '--config', '/nonexistent/nhi.config.json']);
    expect(code).toBe(2);
    expect(stderr).toContain('/nonexistent/nhi.config.json');
  });

  it('keygen writes PREFIX.key (0600) and PREFIX.pub and refuses to overwrite them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nhi-keygen-'));
    const prefix = join(dir, 'k');
    const first = await cli(['keygen', '--out', prefix]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/key id: +ed25519:[0-9a-f]{64}/);
    expect(statSync(`${prefix}.key`).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${prefix}.key`, 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(readFileSync(`${prefix}.pub`, 'utf8')).toContain('BEGIN PUBLIC KEY');
    const before = readFileSync(`${prefix}.key`, 'utf8');

    const again = await cli(['keygen', '--out', prefix]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(readFileSync(`${prefix}.key`, 'utf8')).toBe(before);
    expect(again.stdout + again.stderr).not.toContain('PRIVATE KEY');

    const forced = await cli(['keygen', '--out', prefix, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(`${prefix}.key`, 'utf8')).not.toBe(before);
    expect(statSync(`${prefix}.key`).mode & 0o777).toBe(0o600);
  });

  it('audit verify exits 0 on an intact store and 1 naming the seq of a hand-edited row', async () => {
    const ws = await makeWorkspace();
    await appendEntries(ws.config, 5);
    const ok = await cli(['audit', 'verify', '--config', ws.config]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('audit log intact: 5 entries, 1 signed checkpoint(s)');

    const db = new Database(ws.db);
    db.prepare("UPDATE audit_entries SET subject = 'req-999' WHERE seq = 3").run();
    db.close();
    const bad = await cli(['audit', 'verify', '--config', ws.config]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('NOT intact');
    expect(bad.stderr).toContain('seq 3');
    const json = await cli(['--json', 'audit', 'verify', '--config', ws.config]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, firstBad: { seq: 3 } });
  });

  it('audit export --out writes the log as JSONL', async () => {
    const ws = await makeWorkspace();
    await appendEntries(ws.config, 4);
    const out = join(ws.dir, 'export', 'audit.jsonl');
    const missingDir = await cli(['audit', 'export', '--config', ws.config, '--out', out]);
    expect(missingDir.code).toBe(1);
    expect(missingDir.stderr).toContain('ENOENT');
    const target = join(ws.dir, 'audit.jsonl');
    const { code, stdout } = await cli(['audit', 'export', '--config', ws.config, '--out', target]);
    expect(code).toBe(0);
    expect(stdout).toContain('exported 4 entries and 1 checkpoint(s)');
    const lines = readFileSync(target, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; seq: number });
    expect(lines.map((l) => `${l.kind}:${l.seq}`)).toEqual([
      'entry:1',
      'entry:2',
      'entry:3',
      'entry:4',
      'checkpoint:4',
    ]);
  });

  it('a config whose audit key is missing fails with exit 2, naming the key path', async () => {
    const ws = await makeWorkspace();
    copyFileSync(ws.config, join(ws.dir, 'copy.json'));
    const raw = JSON.parse(readFileSync(ws.config, 'utf8')) as { keys: { auditSigning: string } };
    raw.keys.auditSigning = 'file:missing.key';
    writeFileSync(ws.config, JSON.stringify(raw));
    const { code, stderr } = await cli(['audit', 'verify', '--config', ws.config]);
    expect(code).toBe(2);
    expect(stderr).toContain('keys.auditSigning');
    expect(existsSync(ws.db)).toBe(false);
  });
});

describe('nhi CLI (built binary)', () => {
  // The CLI is built once per test run by the vitest global setup (test/servers/global-setup.ts).
  it('runs the built CLI (`node …/src/cli/main.js config check`) as a real process with the right exit codes', async () => {
    const run = promisify(execFile);
    const main = testCliMain();
    const ok = await run(process.execPath, [main, 'config', 'check', '--config', EXAMPLE], { cwd: ROOT });
    expect(ok.stdout).toContain('config ok');
    const failed = await run(process.execPath, [main, 'no-such-command'], { cwd: ROOT }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain('unknown command');
  });
});
