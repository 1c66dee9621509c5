/**
 * Issue 14: nhi on PostgreSQL as a user meets it — `state.url` in the config, `nhi db migrate`
 * (and --check for a deploy pipeline), a scan against moto, findings and `audit verify` — and the
 * password in the URL never shows: not in output, errors, nor in any row of the database.
 */
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/postgres/index.js';
import { Capture } from '../runbook/local-app.js';
import { motoSecretsClient, motoSecretsProvider, writeTestConfig } from '../scan/helpers.js';
import { freshDatabase } from './pg-fixture.js';

const PASSWORD = `pg-password-canary-${process.pid}`;
const VALUE = `pg-secret-value-canary-${process.pid}`;

async function nhi(configPath: string, env: NodeJS.ProcessEnv, ...args: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(['--config', configPath, ...args], { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Every text value in every table of the database, as one string. */
async function everyRow(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ t: string }>(
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'",
    );
    let all = '';
    for (const { t } of tables.rows) {
      const rows = await client.query(`SELECT * FROM "${t}"`);
      all += JSON.stringify(rows.rows);
    }
    return all;
  } finally {
    await client.end();
  }
}

describe('nhi on a PostgreSQL state store', () => {
  it('db migrate --check, db migrate, scan, findings, audit verify — the URL password shown nowhere', async () => {
    const url = new URL(await freshDatabase());
    url.password = PASSWORD; // trust auth ignores it: it is only there to be looked for
    const prefix = `pg-cli-${process.pid}/`;
    const sm = motoSecretsClient();
    await sm.send(new CreateSecretCommand({ Name: `${prefix}ledger-db`, SecretString: VALUE }));
    const { configPath, env: baseEnv } = writeTestConfig({
      state: { url: 'env:NHI_DATABASE_URL', poolSize: 4 },
      providers: { aws: motoSecretsProvider(prefix) },
    });
    const env = { ...baseEnv, NHI_DATABASE_URL: url.toString() };
    const outputs: string[] = [];
    const run = async (...args: string[]) => {
      const r = await nhi(configPath, env, ...args);
      outputs.push(r.stdout, r.stderr);
      return r;
    };

    const pending = await run('db', 'migrate', '--check');
    expect(pending.code).toBe(1);
    expect(pending.stdout).toMatch(
      new RegExp(
        `^state store postgres://nhi@127\\.0\\.0\\.1:55432/nhi_test_\\w+ \\(postgres\\): schema v0, this nhi needs v${LATEST_SCHEMA_VERSION} \\(run nhi db migrate\\)\\n$`,
      ),
    );
    const migrated = await run('db', 'migrate');
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain(`schema v0 -> v${LATEST_SCHEMA_VERSION} (applied v1`);
    const current = await run('--json', 'db', 'migrate', '--check');
    expect(current.code).toBe(0);
    expect(JSON.parse(current.stdout)).toMatchObject({
      driver: 'postgres',
      from: LATEST_SCHEMA_VERSION,
      to: LATEST_SCHEMA_VERSION,
      latest: LATEST_SCHEMA_VERSION,
      applied: [],
      current: true,
    });

    const scan = await run('--json', 'scan');
    expect(scan.code, scan.stderr).toBe(0);
    expect(JSON.parse(scan.stdout).summary.identities).toBe(1);
    const findings = await run('--json', 'findings');
    expect(findings.code, findings.stderr).toBe(0);
    const verify = await run('audit', 'verify');
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/intact/);

    for (const text of [...outputs, await everyRow(url.toString())]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(VALUE);
    }
  }, 60_000);

  it('a state.url that is not a postgres URL, or a server that does not answer, is a clear error without the URL', async () => {
    const { configPath, env } = writeTestConfig({ state: { url: 'env:NHI_DATABASE_URL' } });
    const bad = await nhi(configPath, { ...env, NHI_DATABASE_URL: `not a url ${PASSWORD}` }, 'db', 'migrate');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'state.url is not a URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE',
    );
    const scheme = await nhi(
      configPath,
      { ...env, NHI_DATABASE_URL: `mysql://u:${PASSWORD}@127.0.0.1/x` },
      'scan',
    );
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain('state.url must be a postgres:// or postgresql:// URL, not mysql://');
    // Nothing listens on port 9 of loopback.
    const down = await nhi(
      configPath,
      { ...env, NHI_DATABASE_URL: `postgres://nhi:${PASSWORD}@127.0.0.1:9/nhi` },
      '-v',
      'status',
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /cannot connect to the state store database: connect ECONNREFUSED 127\.0\.0\.1:9/,
    );
    for (const r of [bad, scheme, down]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});
