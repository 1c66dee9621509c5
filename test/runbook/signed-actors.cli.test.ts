/**
 * `nhi request|run ... --key` with policy.requireSignedActors, through the CLI (in process),
 * against the local OpenBao: refused without a key or with another principal's key (exit 3),
 * signed and shown as such in `nhi status`, and verified by `nhi audit verify`.
 */
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vaultFixture } from '../providers/vault.fixture.js';
import { filedRequest, inProcessCli, localConfig, ROOT, scratchDir } from './local-app.js';

let configPath: string;
let scratch: ReturnType<typeof scratchDir>;

const nhi = inProcessCli(() => configPath);

beforeAll(() => {
  scratch = scratchDir('nhi-signed-actors-');
  configPath = localConfig(
    scratch.dir,
    'signed',
    { 'vault-test': 'vault-local' },
    { policy: { requireSignedActors: true } },
  );
});

describe('nhi request / run with policy.requireSignedActors', () => {
  it('refuses unsigned and wrongly signed actors (exit 3), runs signed ones, shows and verifies them', async () => {
    const ref = await vaultFixture.seed({
      name: `signed-${Date.now().toString(36)}`,
      value: 'old-signed',
      owner: 'alice',
    });
    const request = ['request', ref, '--runbook', 'vault-kv-recovery', '--reason', 'INC-9', '--as', 'carol'];

    const unsigned = await nhi(...request);
    expect(unsigned.code).toBe(3);
    expect(unsigned.stderr).toMatch(/refused \(unsigned-actor\)/);

    const wrong = await nhi(...request, '--key', scratch.key('bob'));
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/refused \(bad-actor-signature\)/);

    // A key file others can read is a usage error before anything happens.
    const loose = join(scratch.dir, 'loose.key');
    copyFileSync(join(ROOT, 'examples/keys/carol.key'), loose);
    chmodSync(loose, 0o644);
    expect((await nhi(...request, '--key', loose)).code).toBe(2);

    const filed = await nhi(...request, '--key', scratch.key('carol'));
    expect(filed.code, filed.stderr).toBe(0);
    expect(filed.stdout).toMatch(/requested by carol \(signed\)/);
    const { id, digest } = filedRequest(filed.stdout);
    expect(
      (await nhi('approve', id, '--as', 'alice', '--key', scratch.key('alice'), '--digest', digest)).code,
    ).toBe(0);

    const noKey = await nhi('run', id, '--as', 'bob');
    expect(noKey.code).toBe(3);
    expect(noKey.stderr).toMatch(/refused \(unsigned-actor\)/);
    // Claiming to be bob with carol's key.
    const impostor = await nhi('run', id, '--as', 'bob', '--key', scratch.key('carol'));
    expect(impostor.code).toBe(3);
    expect(impostor.stderr).toMatch(/refused \(bad-actor-signature\)/);

    const run = await nhi('run', id, '--as', 'bob', '--key', scratch.key('bob'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/: completed/);

    const status = await nhi('status', id);
    expect(status.stdout).toMatch(/requested by carol \(signed\): INC-9/);
    expect(status.stdout).toMatch(/run \S+: completed by bob \(signed\)/);
    const verify = await nhi('--json', 'audit', 'verify');
    expect(verify.code, verify.stdout).toBe(0);
    // request.created, approval.recorded, run.started, policy.adopted; the run under the signed policy
    expect(JSON.parse(verify.stdout)).toMatchObject({
      ok: true,
      checkedClaims: 4,
      policies: [{ signers: ['sec-oncall'], runs: 1 }],
    });
  });
});
