/** `nhi policy sign | show` and the exit-2 refusal through the real CLI. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { AuditEntry } from '../../src/store/types.js';
import { requestFixture, textSink, writeWorldFiles } from '../approval/fixture.js';

let files: ReturnType<typeof writeWorldFiles>;
const dbPath = () => join(files.dir, 'state', 'nhi.db');

async function nhi(...args: string[]) {
  const stdout = textSink();
  const stderr = textSink();
  const code = await runCli(['--config', files.configPath, ...args], { stdout, stderr, env: files.env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

async function newRequest(): Promise<string> {
  const now = new Date();
  const request = requestFixture({
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
  });
  const store = openSqliteStore(dbPath());
  await store.requests.insert(request);
  await store.close();
  digests.set(request.id, request.planDigest);
  return request.id;
}

/** Each inserted request's plan digest: approve is non-interactive here, so it names what it signs. */
const digests = new Map<string, string>();

async function entries(type: string): Promise<AuditEntry[]> {
  const store = openSqliteStore(dbPath());
  const out: AuditEntry[] = [];
  for await (const e of store.audit.entries()) if (e.type === type) out.push(e);
  await store.close();
  return out;
}

type RawConfig = { owners: { principals: Record<string, unknown>; breakGlass: string[] } };

function editConfig(edit: (raw: RawConfig) => void): void {
  const raw = JSON.parse(readFileSync(files.configPath, 'utf8'));
  edit(raw);
  writeFileSync(files.configPath, JSON.stringify(raw, null, 2));
}

beforeEach(() => {
  files = writeWorldFiles();
});
afterEach(() => {
  rmSync(files.dir, { recursive: true, force: true });
});

describe('nhi policy', () => {
  it('a principal added after adoption: approve and run exit 2 naming it; policy sign fixes it', async () => {
    const firstId = await newRequest();
    const first = await nhi(
      'approve',
      firstId,
      '--as',
      'alice',
      '--key',
      files.keys.alice!.keyPath,
      '--digest',
      digests.get(firstId) ?? '',
    );
    expect(first.code, first.stderr).toBe(0);

    editConfig((raw) => {
      raw.owners.principals.mallory = { publicKey: 'file:./keys/mallory.pub' };
      raw.owners.breakGlass.push('mallory');
    });
    const id = await newRequest();
    const refused = await nhi(
      'approve',
      id,
      '--as',
      'alice',
      '--key',
      files.keys.alice!.keyPath,
      '--digest',
      digests.get(id) ?? '',
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/owners\.principals\.mallory: added/);
    expect(refused.stderr).toMatch(/owners\.breakGlass: added mallory/);
    expect(refused.stderr).toMatch(/nhi policy sign --as <sec> --key/);
    const run = await nhi('run', id, '--as', 'dave');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/owners\.principals\.mallory: added/);

    const show = await nhi('--json', 'policy', 'show');
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({
      adopted: false,
      controlOwners: { principals: ['sec'], quorum: 1, pinnedAtSeq: 1 },
      signers: [],
      quorumMet: false,
      changes: expect.arrayContaining([
        { path: 'owners.principals.mallory', change: expect.stringMatching(/^added/) },
      ]),
    });

    // Not a control owner, or the wrong key: refused as usage errors, nothing written.
    expect((await nhi('policy', 'sign', '--as', 'alice', '--key', files.keys.alice!.keyPath)).code).toBe(2);
    const wrongKey = await nhi('policy', 'sign', '--as', 'sec', '--key', files.keys.mallory!.keyPath);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toMatch(/not sec's pinned control-owner key/);

    const signed = await nhi('policy', 'sign', '--as', 'sec', '--key', files.keys.sec!.keyPath);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toMatch(/signed policy sha256:[0-9a-f]{64} as sec/);
    expect(signed.stdout).toMatch(/quorum met \(sec\): adopted at audit seq \d+/);
    const adopted = await entries('policy.adopted');
    expect(adopted).toHaveLength(2);
    expect(adopted[1]?.data.signers).toEqual(['sec']);

    const ok = await nhi(
      'approve',
      id,
      '--as',
      'alice',
      '--key',
      files.keys.alice!.keyPath,
      '--digest',
      digests.get(id) ?? '',
    );
    expect(ok.code, ok.stderr).toBe(0);
    const text = await nhi('policy', 'show');
    expect(text.stdout).toMatch(/: adopted \(audit seq \d+\)/);
    expect(text.stdout).toMatch(/control owners: sec \(quorum 1\), pinned at audit seq 1/);
    // The chain and the adoption signatures verify (the cross-check then misses request.created:
    // these requests were inserted directly, not filed), and each adopted policy is listed.
    const verify = await nhi('--json', 'audit', 'verify');
    const verdict = JSON.parse(verify.stdout);
    expect(verdict).toMatchObject({ entries: 5, checkedClaims: 4 });
    expect(verdict.firstBad).toBeUndefined();
    expect(verdict.policies).toMatchObject([
      { adoptedAtSeq: 2, signers: ['sec'], runs: 0 },
      { signers: ['sec'], runs: 0 },
    ]);
  });
});
