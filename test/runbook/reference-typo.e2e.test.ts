/**
 * Issue 11, item 4: a hook typo is exit 2 before any provider call. Real CLI processes against
 * the local OpenBao: a request filed and approved with a good runbook, then the runbook's hook
 * name is mistyped (config drift between approval and run). `nhi run` must stop with exit 2
 * and leave the secret untouched; before the fix it revoked, reissued, then failed at the hook.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vaultApi, vaultFixture } from '../providers/vault.fixture.js';
import { CLI, filedRequest, localConfig, scratchDir } from './local-app.js';

let configPath: string;
let runbooks: string;
let scratch: ReturnType<typeof scratchDir>;

function nhi(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--config', configPath, ...args], {
      env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const runbook = (hook: string) => ({
  id: 'vault-kv-hooked',
  description: 'KV recovery that tells the consumer',
  appliesTo: { provider: 'vault', kind: 'kv' },
  order: 'revoke-then-reissue',
  generator: { type: 'password', length: 32 },
  steps: [
    'snapshot',
    'approval',
    { type: 'revoke', params: { mode: 'destroy' } },
    'reissue',
    'verify',
    { type: 'hook', id: 'reload-consumer', params: { hook } },
  ],
});

const writeRunbook = (hook: string) =>
  writeFileSync(join(runbooks, 'hooked.json'), JSON.stringify(runbook(hook)));

beforeAll(() => {
  scratch = scratchDir('nhi-typo-');
  runbooks = mkdtempSync(join(tmpdir(), 'nhi-typo-rb-'));
  writeRunbook('reload-consumer');
  configPath = localConfig(
    scratch.dir,
    'typo',
    { 'vault-test': 'vault-local' },
    {
      runbooks: { dirs: [runbooks] },
      hooks: {
        'reload-consumer': { type: 'command', command: ['true'] },
        'restart-app': { type: 'command', command: ['true'] },
      },
    },
  );
});

async function kvState(ref: string) {
  const path = ref.split(':')[2]?.replace(/^secret\//, '');
  const meta = await vaultApi('GET', `secret/metadata/${path}`);
  return (meta.body.data as { current_version: number; versions: Record<string, unknown> }) ?? {};
}

describe('a hook typo in a runbook (issue 11, item 4)', () => {
  it('nhi config check exits 2; nhi run exits 2 before any provider call, the secret on OpenBao untouched', async () => {
    const ref = await vaultFixture.seed({
      name: `typo-${Date.now().toString(36)}`,
      value: 'old-typo',
      owner: 'alice',
    });
    const filed = await nhi(
      'request',
      ref,
      '--runbook',
      'vault-kv-hooked',
      '--reason',
      'INC-11',
      '--as',
      'carol',
    );
    expect(filed.code, filed.stderr).toBe(0);
    const { id, digest } = filedRequest(filed.stdout);
    const approved = await nhi(
      'approve',
      id,
      '--as',
      'alice',
      '--key',
      scratch.key('alice'),
      '--digest',
      digest,
    );
    expect(approved.code, approved.stderr).toBe(0);
    const before = await kvState(ref);

    writeRunbook('reload-consumr');
    const check = await nhi('config', 'check');
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('runbook vault-kv-hooked');
    expect(check.stderr).toContain('steps[5] "reload-consumer".params.hook: unknown hook "reload-consumr"');
    expect(check.stderr).toContain('expected: one of: reload-consumer, restart-app');

    const run = await nhi('run', id, '--as', 'bob');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('unknown hook "reload-consumr"');
    // Nothing was revoked or written: same current version, same versions, none destroyed.
    const after = await kvState(ref);
    expect(after).toEqual(before);
    expect(await vaultFixture.liveVersionCount(ref)).toBe(1);
    expect(await vaultFixture.isUsable(ref, String(before.current_version))).toBe(true);

    // Fixed, the same approved request runs to completion.
    writeRunbook('reload-consumer');
    const fixed = await nhi('run', id, '--as', 'bob');
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(await vaultFixture.isUsable(ref, String(before.current_version))).toBe(false);
  });
});
