/**
 * Issue 10 hardening through the real CLI: one key under two principal names, private key files
 * others can read, public key files others can write, and the modes of the state database.
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { runCli } from '../../src/cli/program.js';

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

const mode = (path: string) => statSync(path).mode & 0o777;

interface RawConfig {
  keys: Record<string, string>;
  owners: { principals: Record<string, { publicKey: string }>; teams: Record<string, string[]> };
  [field: string]: unknown;
}

/** keygen'd audit key and owner keys (alice, bob), a fingerprint key (0600) and a config. */
async function workspace(patch: (raw: RawConfig) => void = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-hardening-'));
  for (const who of ['audit', 'alice', 'bob'])
    expect((await cli(['keygen', '--out', join(dir, who)])).code).toBe(0);
  writeFileSync(join(dir, 'fingerprint.key'), 'fingerprint-key-for-tests\n', { mode: 0o600 });
  const raw: RawConfig = {
    state: { path: './state/nhi.db' },
    keys: { fingerprint: 'file:fingerprint.key', auditSigning: 'file:audit.key' },
    log: { level: 'silent' },
    providers: { 'aws-test': { type: 'aws', region: 'eu-west-1', credentials: { method: 'default' } } },
    owners: {
      principals: { alice: { publicKey: 'file:alice.pub' }, bob: { publicKey: 'file:bob.pub' } },
      teams: { payments: ['alice', 'bob'] },
    },
  };
  patch(raw);
  const config = join(dir, 'nhi.config.json');
  writeFileSync(config, JSON.stringify(raw));
  return { dir, config, stateDir: join(dir, 'state'), db: join(dir, 'state', 'nhi.db') };
}

describe('one public key under two principals (keys count, not names)', () => {
  it('config check exits 2 naming both principals', async () => {
    const ws = await workspace((raw) => {
      raw.owners.principals.alice2 = { publicKey: 'file:alice.pub' };
    });
    const { code, stdout, stderr } = await cli(['config', 'check', '--config', ws.config]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('owners.principals.alice2.publicKey');
    expect(stderr).toContain('principals "alice" and "alice2" have the same public key');
    expect(stderr).toMatch(/found: +key ed25519:[0-9a-f]{64} under alice, alice2/);
  });

  it('the same key pasted inline under a second name is caught too', async () => {
    const ws = await workspace();
    const raw = JSON.parse(readFileSync(ws.config, 'utf8'));
    raw.owners.principals.mallory = { publicKey: readFileSync(join(ws.dir, 'bob.pub'), 'utf8') };
    writeFileSync(ws.config, JSON.stringify(raw));
    const { code, stderr } = await cli(['config', 'check', '--config', ws.config]);
    expect(code).toBe(2);
    expect(stderr).toContain('principals "bob" and "mallory" have the same public key');
  });

  it('every command that loads the config refuses it (approve, run): exit 2, nothing opened', async () => {
    const ws = await workspace((raw) => {
      raw.owners.principals.alice2 = { publicKey: 'file:alice.pub' };
    });
    const key = join(ws.dir, 'alice.key');
    for (const argv of [
      ['approve', 'req_x', '--as', 'alice2', '--key', key],
      ['run', 'req_x', '--as', 'bob'],
      ['audit', 'verify'],
    ]) {
      const r = await cli([...argv, '--config', ws.config]);
      expect(r.code, argv[0]).toBe(2);
      expect(r.stderr, argv[0]).toContain('"alice" and "alice2" have the same public key');
    }
    expect(() => statSync(ws.db)).toThrow(/ENOENT/);
  });
});

describe('private key files must be private', () => {
  it.each(['auditSigning', 'fingerprint'])(
    'a 0644 keys.%s file is refused with exit 2 and the chmod 600 fix (config check and other commands)',
    async (field) => {
      const ws = await workspace();
      const file = join(ws.dir, field === 'auditSigning' ? 'audit.key' : 'fingerprint.key');
      chmodSync(file, 0o644);
      for (const argv of [
        ['config', 'check'],
        ['audit', 'verify'],
      ]) {
        const { code, stderr } = await cli([...argv, '--config', ws.config]);
        expect(code).toBe(2);
        expect(stderr).toContain(`keys.${field}: ${file} is accessible by group or others (mode 0644)`);
        expect(stderr).toContain(`chmod 600 ${file}`);
      }
      expect(() => statSync(ws.db)).toThrow(/ENOENT/);
      chmodSync(file, 0o600);
      expect((await cli(['config', 'check', '--config', ws.config])).code).toBe(0);
    },
  );
});

describe('a public key file others can write', () => {
  it('is a warning on stderr, never in --json stdout; the command still succeeds', async () => {
    const ws = await workspace();
    const pub = join(ws.dir, 'alice.pub');
    chmodSync(pub, 0o666);
    const warning = `warning: owners.principals.alice.publicKey: public key file ${pub} is writable by group or others (mode 0666); whoever can write it can replace the key: chmod 644 ${pub}\n`;

    const human = await cli(['config', 'check', '--config', ws.config]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('config ok');
    expect(human.stderr).toBe(warning);

    const json = await cli(['--json', 'config', 'check', '--config', ws.config]);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe(warning);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      warnings: [
        { path: 'owners.principals.alice.publicKey', message: expect.stringContaining('chmod 644') },
      ],
    });

    // A command that builds the app prints it the same way.
    const verify = await cli(['--json', 'audit', 'verify', '--config', ws.config]);
    expect(verify.code).toBe(0);
    expect(verify.stderr).toBe(warning);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });

    chmodSync(pub, 0o644);
    expect((await cli(['config', 'check', '--config', ws.config])).stderr).toBe('');
  });
});

describe('state database modes', () => {
  it('the first command creates the state dir 0700 and the database, WAL and SHM 0600 (even under umask 000)', async () => {
    const ws = await workspace();
    const umask = process.umask(0o000);
    try {
      const first = await cli(['audit', 'verify', '--config', ws.config]);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(mode(ws.stateDir)).toBe(0o700);
      expect(mode(ws.db)).toBe(0o600);

      // Keep the WAL and SHM alive past the app's close: a second connection holds the database.
      const other = new Database(ws.db);
      try {
        const app = await createApp({ configPath: ws.config, env: {} });
        try {
          await app.audit.record(app.store.audit, {
            type: 'test.event',
            actor: 'carol',
            subject: 's',
            data: {},
          });
          for (const f of [ws.db, `${ws.db}-wal`, `${ws.db}-shm`]) expect(mode(f), f).toBe(0o600);
        } finally {
          await app.close();
        }
      } finally {
        other.close();
      }
    } finally {
      process.umask(umask);
    }
  });

  it('an existing database readable by others (and its WAL) is tightened to 0600, with a warning', async () => {
    const ws = await workspace();
    expect((await cli(['audit', 'verify', '--config', ws.config])).code).toBe(0);
    const holder = new Database(ws.db);
    holder.pragma('journal_mode = WAL');
    holder.exec('CREATE TABLE IF NOT EXISTS keep_wal (x)');
    holder.exec('INSERT INTO keep_wal VALUES (1)');
    try {
      for (const f of [ws.db, `${ws.db}-wal`]) chmodSync(f, 0o644);
      const { code, stderr } = await cli(['audit', 'verify', '--config', ws.config]);
      expect(code).toBe(0);
      for (const f of [ws.db, `${ws.db}-wal`]) {
        expect(mode(f), f).toBe(0o600);
        expect(stderr).toContain(
          `warning: state file ${f} was mode 0644 (group or others had access); nhi set it to 0600\n`,
        );
      }
      // Once tightened, nothing more to say.
      expect((await cli(['audit', 'verify', '--config', ws.config])).stderr).toBe('');
    } finally {
      holder.close();
    }
  });

  it('keygen keys copied from a clone (0644) work once chmod 600, as the message says', async () => {
    const ws = await workspace();
    const copy = join(ws.dir, 'audit-copy.key');
    copyFileSync(join(ws.dir, 'audit.key'), copy);
    chmodSync(copy, 0o644);
    const raw = JSON.parse(readFileSync(ws.config, 'utf8'));
    raw.keys.auditSigning = 'file:audit-copy.key';
    writeFileSync(ws.config, JSON.stringify(raw));
    const refused = await cli(['config', 'check', '--config', ws.config]);
    expect(refused.code).toBe(2);
    const fix = /chmod 600 (\S+)/.exec(refused.stderr)?.[1];
    expect(fix).toBe(copy);
    chmodSync(fix as string, 0o600);
    expect((await cli(['config', 'check', '--config', ws.config])).code).toBe(0);
  });
});
