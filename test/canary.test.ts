/**
 * A canary secret fed in through every door (config via env, a webhook secret file, a
 * literal in a secret field; failing operations; logs; the state store) must never come
 * out of any of them: stdout, stderr, log lines, the SQLite file and its WAL.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { runCli } from '../src/cli/program.js';
import { ConfigError } from '../src/lib/errors.js';
import { SecretValue } from '../src/lib/secret.js';
import { createLogger, createMemoryLogger } from '../src/log.js';
import type { Plan } from '../src/runbook/plan-types.js';

const CANARY = `canary${randomBytes(8).toString('hex')}`;
const FP_KEY = `${CANARY}-fingerprint-key`;
const HOOK_SECRET = `${CANARY}-webhook-secret`;
const LITERAL = `${CANARY}-literal`;

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Everything any step printed, to be checked once more at the end. */
const seen: string[] = [];

async function cli(argv: string[], env: NodeJS.ProcessEnv) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(argv, { stdout, stderr, env });
  seen.push(stdout.text, stderr.text);
  return { code, out: stdout.text + stderr.text };
}

const expectNoCanary = (text: string) => {
  expect(text).not.toContain(CANARY);
};

describe('canary secrets never leave the process', () => {
  let dir: string;
  let config: string;
  let env: NodeJS.ProcessEnv;
  const dbFiles = () => [join(dir, 'nhi.db'), join(dir, 'nhi.db-wal')];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nhi-canary-'));
    env = { NHI_TEST_FINGERPRINT: FP_KEY };
    expect((await cli(['keygen', '--out', join(dir, 'audit')], env)).code).toBe(0);
    writeFileSync(join(dir, 'webhook.key'), `${HOOK_SECRET}\n`, { mode: 0o600 });
    config = join(dir, 'nhi.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        state: { path: './nhi.db' },
        keys: { fingerprint: 'env:NHI_TEST_FINGERPRINT', auditSigning: 'file:audit.key' },
        log: { level: 'trace', file: './nhi.log' },
        providers: {
          'aws-test': { type: 'aws', region: 'eu-west-1', credentials: { method: 'default' } },
          'vault-test': {
            type: 'vault',
            address: 'http://127.0.0.1:8200',
            auth: { method: 'token', token: 'env:NHI_TEST_FINGERPRINT' },
          },
        },
        notify: {
          security: { type: 'webhook', url: 'http://127.0.0.1:9/alerts', secret: 'file:webhook.key' },
        },
        policy: { securityAlert: ['security'] },
      }),
    );
  });

  afterAll(() => {
    expectNoCanary(seen.join('\n'));
  });

  it('config check (plain, --json and -v) shows no resolved secret', async () => {
    for (const flags of [[], ['--json'], ['-v']]) {
      const { code, out } = await cli([...flags, 'config', 'check', '--config', config], env);
      expect(code).toBe(0);
      expectNoCanary(out);
    }
  });

  it('a literal secret in a secret field is refused without echoing it (also with -v and --json)', async () => {
    const bad = join(dir, 'literal.json');
    const raw = JSON.parse(readFileSync(config, 'utf8')) as {
      keys: Record<string, string>;
      notify: { security: Record<string, string> };
    };
    raw.keys.fingerprint = LITERAL;
    raw.notify.security.secret = LITERAL;
    writeFileSync(bad, JSON.stringify(raw));
    for (const flags of [[], ['-v'], ['--json']]) {
      const { code, out } = await cli([...flags, 'config', 'check', '--config', bad], env);
      expect(code).toBe(2);
      expect(out).toContain('keys.fingerprint');
      expect(out).toContain('env:NAME');
      expectNoCanary(out);
    }
  });

  it('a config that is not even JSON does not quote the secret next to the syntax error', async () => {
    const bad = join(dir, 'broken.json');
    writeFileSync(bad, `{"keys": {"fingerprint": ${LITERAL}}}`);
    const { code, out } = await cli(['-v', 'config', 'check', '--config', bad], env);
    expect(code).toBe(2);
    expect(out).toContain('not valid JSON');
    expectNoCanary(out);
  });

  it('the app, its logs and the state store never hold the secrets', async () => {
    const app = await createApp({ configPath: config, env });
    try {
      expect(app.config.keys.fingerprint.reveal()).toBe(FP_KEY);
      expect(app.config.notify.security?.secret.reveal()).toBe(HOOK_SECRET);
      const secretValue = new SecretValue(`${CANARY}-generated`);
      app.logger.info(
        { config: app.config, secret: secretValue, token: CANARY, nested: { password: CANARY } },
        'loaded',
      );
      app.logger.warn(
        { err: new Error('provider refused'), request: { headers: { authorization: `Bearer ${CANARY}` } } },
        'call',
      );
      await app.store.transaction(async (tx) => {
        await app.audit.record(tx.audit, {
          type: 'step.done',
          actor: 'dave',
          subject: 'run-1',
          data: {
            issued: secretValue,
            fingerprint: app.fingerprint(secretValue),
            keyRef: app.config.keys.fingerprint,
            settings: { webhook: app.config.notify.security },
          },
        });
        await tx.requests.insert({
          id: 'req-1',
          ref: 'aws-test:secret:payments/db',
          runbookId: 'aws-secret-recovery',
          reason: 'INC-42',
          requester: 'carol',
          tier: 'standard',
          owners: ['alice'],
          // A plan a bug smuggled a secret into: the store must still write it redacted.
          plan: { generated: secretValue } as unknown as Plan,
          planDigest: 'sha256:0',
          status: 'pending',
          createdAt: new Date().toISOString(),
          expiresAt: new Date().toISOString(),
          reviewRequired: false,
          updatedAt: new Date().toISOString(),
        });
      });
      await app.audit.checkpoint(app.store.audit);
      // Read the files while the connection is open, so the WAL still holds the new pages.
      for (const file of dbFiles())
        if (existsSync(file)) expectNoCanary(readFileSync(file).toString('latin1'));
      expect(existsSync(join(dir, 'nhi.db-wal'))).toBe(true);
    } finally {
      await app.close();
    }
    for (const file of dbFiles()) if (existsSync(file)) expectNoCanary(readFileSync(file).toString('latin1'));
    const logText = readFileSync(join(dir, 'nhi.log'), 'utf8');
    expect(logText).toContain('"msg":"loaded"');
    expectNoCanary(logText);
  });

  it('a failing audit verify names the bad entry, not a secret', async () => {
    const db = new Database(join(dir, 'nhi.db'));
    db.prepare("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 1").run();
    db.close();
    const { code, out } = await cli(['-v', 'audit', 'verify', '--config', config], env);
    expect(code).toBe(1);
    expect(out).toContain('seq 1');
    expectNoCanary(out);
    const exported = join(dir, 'audit.jsonl');
    expect((await cli(['audit', 'export', '--config', config, '--out', exported], env)).code).toBe(0);
    expectNoCanary(readFileSync(exported, 'utf8'));
  });

  it('a ConfigError thrown by createApp holds no secret value in any of its fields', async () => {
    const raw = JSON.parse(readFileSync(config, 'utf8')) as { keys: Record<string, string> };
    raw.keys.auditSigning = LITERAL;
    const bad = join(dir, 'unset.json');
    writeFileSync(bad, JSON.stringify(raw));
    try {
      await createApp({ configPath: bad, env: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expectNoCanary(JSON.stringify(error) + String(error) + JSON.stringify((error as ConfigError).problems));
    }
  });

  it('the logger redacts SecretValue and fields named token/secret/password at any depth', () => {
    const { logger, lines } = createMemoryLogger('trace');
    const sv = new SecretValue(CANARY);
    logger.info({ secret: CANARY, token: CANARY, password: CANARY, value: CANARY }, 'top level');
    logger.info({ sv, list: [sv, { token: CANARY }] }, 'secret values and arrays');
    logger.info({ a: { b: { c: { password: CANARY, clientSecret: CANARY, accessToken: CANARY } } } }, 'deep');
    logger.info({ headers: { Authorization: `Bearer ${CANARY}`, 'X-Vault-Token': CANARY } }, 'headers');
    logger
      .child({ auth: { token: CANARY } })
      .info({ apiKey: CANARY, privateKey: CANARY, SecretString: CANARY }, 'child');
    logger.error({ err: new Error('provider said no') }, 'error keeps its message');
    const cyclic: Record<string, unknown> = { token: CANARY };
    cyclic.self = cyclic;
    logger.info({ cyclic }, 'cycle');
    const text = lines();
    expect(text.trim().split('\n')).toHaveLength(7);
    expect(text).toContain('provider said no');
    expect(text).toContain('[redacted]');
    expectNoCanary(text);
    seen.push(text);
  });

  it('createLogger with a memory destination honours the level and still redacts', () => {
    const chunks: string[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: { write: (s: string) => void chunks.push(s) },
    });
    logger.info({ token: CANARY }, 'below level');
    logger.warn({ deep: { deeper: { secret: CANARY } } }, 'at level');
    expect(chunks).toHaveLength(1);
    expectNoCanary(chunks.join(''));
  });
});
