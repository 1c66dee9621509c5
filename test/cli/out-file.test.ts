/**
 * Issue 11 item 6: `--out` onto an existing special file (a device, a FIFO, a symlink) replaced
 * it with the report. Every command with `--out` (nhi scan, nhi audit export) refuses a target
 * that is not a regular file (exit 2) and writes through an exclusively created temp file.
 */
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { UsageError } from '../../src/lib/errors.js';
import { checkOutputTarget, writeOutputFile } from '../../src/lib/output-file.js';
import { runScanJob } from '../../src/scan/service.js';
import { FakeProvider } from '../scan/fake-provider.js';
import { type TestApp, testApp, testConfig } from '../scan/helpers.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function cli(argv: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(argv, { stdout, stderr, env: {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A directory with a regular file, a symlink to it and a FIFO. */
function specials() {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-out-'));
  const precious = join(dir, 'precious.txt');
  writeFileSync(precious, 'keep me\n');
  const link = join(dir, 'link.out');
  symlinkSync(precious, link);
  const fifo = join(dir, 'fifo.out');
  execFileSync('mkfifo', [fifo]);
  return { dir, precious, link, fifo };
}

function expectUntouched(s: ReturnType<typeof specials>) {
  expect(readFileSync(s.precious, 'utf8')).toBe('keep me\n');
  expect(lstatSync(s.link).isSymbolicLink()).toBe(true);
  expect(readlinkSync(s.link)).toBe(s.precious);
  expect(lstatSync(s.fifo).isFIFO()).toBe(true);
  expect(readdirSync(s.dir).filter((f) => f.includes('tmp'))).toEqual([]);
}

const apps: TestApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

describe('--out refuses special files (issue 11 item 6)', () => {
  it('a device file is refused without being opened', async () => {
    await expect(checkOutputTarget('/dev/full')).rejects.toThrow(UsageError);
    await expect(checkOutputTarget('/dev/full')).rejects.toThrow(/--out \/dev\/full is a device file/);
  });

  it('nhi scan --out: a symlink or a FIFO is refused (usage error) and left as it was', async () => {
    const s = specials();
    const provider = new FakeProvider();
    provider.put('svc/a');
    const app = testApp({ providers: [provider], config: testConfig().config });
    apps.push(app);
    for (const [target, kind] of [
      [s.link, 'a symbolic link'],
      [s.fifo, 'a FIFO'],
    ] as const) {
      const job = runScanJob(app, { providers: [], actor: 'test', report: { format: 'json', out: target } });
      await expect(job).rejects.toMatchObject({ code: 'usage', message: expect.stringContaining(kind) });
    }
    expectUntouched(s);
    const ok = join(s.dir, 'report.json');
    await runScanJob(app, { providers: [], actor: 'test', report: { format: 'json', out: ok } });
    expect(JSON.parse(readFileSync(ok, 'utf8'))).toHaveProperty('schemaVersion');
    expect(lstatSync(ok).mode & 0o777).toBe(0o640);
  });

  it('nhi audit export --out: exit 2 with the reason; a regular file is replaced', async () => {
    const s = specials();
    const dir = mkdtempSync(join(tmpdir(), 'nhi-out-ws-'));
    expect((await cli(['keygen', '--out', join(dir, 'audit')])).code).toBe(0);
    writeFileSync(join(dir, 'fp.key'), 'fingerprint-key-for-tests\n', { mode: 0o600 });
    const config = join(dir, 'nhi.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        state: { path: './nhi.db' },
        keys: { fingerprint: 'file:fp.key', auditSigning: 'file:audit.key' },
        log: { level: 'silent' },
        providers: { 'aws-test': { type: 'aws', region: 'eu-west-1', credentials: { method: 'default' } } },
      }),
    );
    for (const [target, kind] of [
      [s.link, 'a symbolic link'],
      [s.fifo, 'a FIFO'],
      [s.dir, 'a directory'],
    ] as const) {
      const r = await cli(['audit', 'export', '--config', config, '--out', target]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`--out ${target} is ${kind}`);
    }
    expectUntouched(s);
    const r = await cli(['audit', 'export', '--config', config, '--out', s.precious]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(s.precious, 'utf8')).not.toContain('keep me');
  }, 20_000);

  it('a failed write leaves the old file and no temp file behind', async () => {
    const s = specials();
    await expect(
      writeOutputFile(s.precious, async (write) => {
        await write('half');
        throw new Error('render failed');
      }),
    ).rejects.toThrow('render failed');
    expectUntouched(s);
  });
});
