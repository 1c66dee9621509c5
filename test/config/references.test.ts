/**
 * Issue 11 items 4 and 7: references are checked where they are written (`nhi config check`,
 * runbook loading, planning), schedules are parsed as `nhi serve` parses them, provider
 * addresses may come from the environment, and `nhi keygen` makes its directory.
 */
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';

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

const HOOKED_RUNBOOK = (hook: string, targets?: string[]) => ({
  id: 'aws-secret-recovery-hooked',
  description: 'recovery that tells the consumer',
  appliesTo: { provider: 'aws', kind: 'secret' },
  order: 'revoke-then-reissue',
  generator: { type: 'password', length: 32 },
  steps: [
    'snapshot',
    'approval',
    'revoke',
    'reissue',
    'verify',
    { type: 'hook', id: 'restart-app', params: { hook } },
    ...(targets ? [{ type: 'notify', params: { targets } }] : []),
  ],
});

/** A workspace with its own keys and a config; `extra` is merged over the base config. */
async function workspace(extra: Record<string, unknown> = {}, provider?: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-refs-'));
  expect((await cli(['keygen', '--out', join(dir, 'audit')])).code).toBe(0);
  writeFileSync(join(dir, 'fingerprint.key'), 'fingerprint-key-for-tests\n', { mode: 0o600 });
  const config = join(dir, 'nhi.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      state: { path: './state/nhi.db' },
      keys: { fingerprint: 'file:fingerprint.key', auditSigning: 'file:audit.key' },
      log: { level: 'silent' },
      providers: {
        'aws-test': provider ?? { type: 'aws', region: 'eu-west-1', credentials: { method: 'default' } },
      },
      ...extra,
    }),
  );
  return { dir, config };
}

function runbookDir(runbook: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-refs-rb-'));
  writeFileSync(join(dir, 'hooked.json'), JSON.stringify(runbook));
  return dir;
}

const HOOKS = {
  'restart-app': { type: 'command', command: ['true'] },
  'reload-cache': { type: 'command', command: ['true'] },
};

describe('references are checked where they are written (issue 11, item 4)', () => {
  it('a runbook naming an undefined hook: config check exits 2 naming the runbook, the step and the valid hooks', async () => {
    const rb = runbookDir(HOOKED_RUNBOOK('restart-ap'));
    const { config } = await workspace({ hooks: HOOKS, runbooks: { dirs: [rb] } });
    const r = await cli(['--config', config, 'config', 'check']);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('config ok');
    expect(r.stderr).toContain('aws-secret-recovery-hooked');
    expect(r.stderr).toContain('steps[5] "restart-app"');
    expect(r.stderr).toContain('unknown hook "restart-ap"');
    expect(r.stderr).toContain('expected: one of: reload-cache, restart-app');
    expect(r.stderr).toContain('found:    "restart-ap"');
  });

  it('the same typo stops nhi plan (exit 2) before the provider is created or called', async () => {
    const rb = runbookDir(HOOKED_RUNBOOK('restart-ap'));
    // The provider points at nothing: any call to it would be exit 1 (a provider error), not 2.
    const { config } = await workspace(
      { hooks: HOOKS, runbooks: { dirs: [rb] } },
      {
        type: 'aws',
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9',
        credentials: { method: 'static', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'env:NOPE' },
      },
    );
    const r = await cli(
      ['--config', config, 'plan', 'aws-test:secret:svc/x', '--runbook', 'aws-secret-recovery-hooked'],
      {
        NOPE: 'not-a-real-key',
      },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('unknown hook "restart-ap"');
  });

  it('a runbook naming an undefined notify target: exit 2 with the defined targets', async () => {
    const rb = runbookDir(HOOKED_RUNBOOK('restart-app', ['securty']));
    const { config } = await workspace({
      hooks: HOOKS,
      runbooks: { dirs: [rb] },
      notify: { security: { type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'env:HOOK_KEY' } },
    });
    const r = await cli(['--config', config, 'config', 'check'], { HOOK_KEY: 'k' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('params.targets[0]: unknown notify target "securty"');
    expect(r.stderr).toContain('expected: one of: security');
  });

  it('a mistyped runbook id is exit 2 with the runbook ids that exist', async () => {
    const { config } = await workspace();
    const r = await cli([
      '--config',
      config,
      'plan',
      'aws-test:secret:svc/x',
      '--runbook',
      'aws-secret-recovry',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--runbook: unknown runbook "aws-secret-recovry"');
    expect(r.stderr).toMatch(/expected: one of: .*aws-secret-recovery,/);
  });

  it('a malformed delivery path is refused at config check, not at reissue', async () => {
    const { config } = await workspace(
      {},
      {
        type: 'vault',
        address: 'http://127.0.0.1:9',
        auth: { method: 'token', token: 'env:VT' },
        approle: { deliveryPath: 'nhi-delivery' },
      },
    );
    const r = await cli(['--config', config, 'config', 'check'], { VT: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'providers.aws-test.approle.deliveryPath: delivery path needs a mount and a path below it',
    );
  });

  it('config check parses cron and time zones exactly as nhi serve does', async () => {
    const schedules = {
      nightly: { cron: '61 * * * *', timezone: 'UTC' },
      mars: { cron: '0 2 * * *', timezone: 'Mars/Olympus' },
      fine: { cron: '0 2 * * *', timezone: 'Europe/Berlin' },
    };
    const { config } = await workspace({ schedules });
    const r = await cli(['--config', config, 'config', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'schedules.nightly.cron: invalid cron expression: Field value (61) is out of range',
    );
    expect(r.stderr).toContain('schedules.mars.timezone: unknown time zone');
    expect(r.stderr).toContain('found:    "Mars/Olympus"');
    expect(r.stderr).not.toContain('schedules.fine');
  });
});

describe('small things a new user hits (issue 11, item 7)', () => {
  it('nhi keygen --out keys/audit creates keys/ (mode 0700) when it does not exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nhi-keygen-'));
    const r = await cli(['keygen', '--out', join(dir, 'keys', 'audit')]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'keys', 'audit.key')).mode & 0o777).toBe(0o600);
    // An existing directory keeps its mode.
    mkdirSync(join(dir, 'shared'), { mode: 0o755 });
    expect((await cli(['keygen', '--out', join(dir, 'shared', 'alice')])).code).toBe(0);
    expect(statSync(join(dir, 'shared')).mode & 0o777).toBe(0o755);
  });

  it('the Vault address and namespace may come from VAULT_ADDR / VAULT_NAMESPACE; config check says so', async () => {
    const { config } = await workspace({}, { type: 'vault', auth: { method: 'token', token: 'env:VT' } });
    const env = { VT: 'x', VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_NAMESPACE: 'team-a' };
    const r = await cli(['--config', config, 'config', 'check'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('providers.aws-test.address: http://127.0.0.1:8200 (from VAULT_ADDR)');
    expect(r.stdout).toContain('providers.aws-test.namespace: team-a (from VAULT_NAMESPACE)');
    const json = JSON.parse((await cli(['--config', config, '--json', 'config', 'check'], env)).stdout);
    expect(json.fromEnv).toContainEqual({
      path: 'providers.aws-test.address',
      variable: 'VAULT_ADDR',
      value: 'http://127.0.0.1:8200',
    });
    // Without it, the error says the environment could supply it.
    const missing = await cli(['--config', config, 'config', 'check'], { VT: 'x' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('providers.aws-test.address');
    expect(missing.stderr).toContain('or VAULT_ADDR in the environment');
  });

  it('the AWS region may come from AWS_REGION, then AWS_DEFAULT_REGION; a written region wins', async () => {
    const { config } = await workspace({}, { type: 'aws', credentials: { method: 'default' } });
    const fromDefault = await cli(['--config', config, 'config', 'check'], {
      AWS_DEFAULT_REGION: 'eu-central-1',
    });
    expect(fromDefault.code, fromDefault.stderr).toBe(0);
    expect(fromDefault.stdout).toContain('providers.aws-test.region: eu-central-1 (from AWS_DEFAULT_REGION)');
    const both = await cli(['--config', config, 'config', 'check'], {
      AWS_REGION: 'us-east-2',
      AWS_DEFAULT_REGION: 'eu-central-1',
    });
    expect(both.stdout).toContain('providers.aws-test.region: us-east-2 (from AWS_REGION)');
    const written = await workspace();
    const wins = await cli(['--config', written.config, 'config', 'check'], { AWS_REGION: 'us-east-2' });
    expect(wins.code).toBe(0);
    expect(wins.stdout).not.toContain('from AWS_REGION');
  });
});
