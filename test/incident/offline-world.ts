/**
 * The world of test/incident/offline-approval.test.ts: a config over the local OpenBao with
 * alice's nhi PEM key and bob's freshly made OpenSSH key registered (policy re-signed), an
 * in-process `nhi` with that config and one with none (the owner's laptop), and an incident of
 * five targets filed by carol.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import type { IncidentStatus } from '../../src/incident/status.js';
import { vaultFixture } from '../providers/vault.fixture.js';
import { Capture, inProcessCli, localConfig, scratchDir, signLocalPolicy } from '../runbook/local-app.js';

let configPath = '';
let scratch: ReturnType<typeof scratchDir>;
export const keys: Record<string, string> = {};
export const nhi = inProcessCli(() => configPath);

/** `nhi ...` with no config and no database in reach: what an owner runs on their laptop. */
export async function offline(...args: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(args, { stdout, stderr, env: {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export async function json<T>(...args: string[]): Promise<T> {
  const r = await nhi('--json', ...args);
  if (r.code !== 0) throw new Error(`nhi ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

export const file = (name: string) => join(scratch.dir, name);

export interface Filed {
  id: string;
  digest: string;
  refs: Record<'a1' | 'a2' | 'ab' | 'b1' | 'p1', string>;
}

/** a1, a2: alice's; ab: alice's and bob's; b1: bob's; p1: privileged, owned by payments (alice and bob, quorum 2). */
export async function fileIncident(): Promise<Filed> {
  const tag = `offinc${randomUUID().slice(0, 8)}`;
  const refs = {} as Filed['refs'];
  for (const [key, owner] of [
    ['a1', 'alice'],
    ['a2', 'alice'],
    ['ab', 'alice,bob'],
    ['b1', 'bob'],
    ['p1', 'payments'],
  ] as const) {
    const name = `${tag}-${key === 'p1' ? 'priv' : 'std'}-${key}`;
    refs[key] = await vaultFixture.seed({ name, value: `old-${name}`, owner });
  }
  const filed = await json<{ incident: { id: string; digest: string } }>(
    'incident',
    'request',
    '--select',
    `ref:*${tag}-*`,
    '--reason',
    `INC-${tag} CI runner compromised`,
    '--as',
    'carol',
  );
  return { ...filed.incident, refs };
}

export async function exportShare(id: string, owner: string): Promise<string> {
  const out = file(`${id}-${owner}.share.json`);
  const r = await nhi('incident', 'export', id, '--as', owner, '--out', out);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

export async function signWithKey(
  share: string,
  owner: string,
  digest: string,
  out: string,
  decision = 'approve',
) {
  const r = await offline(
    'incident',
    decision,
    '--request-file',
    share,
    '--as',
    owner,
    '--key',
    keys[owner] as string,
    '--digest',
    digest,
    '--out',
    out,
  );
  expect(r.code, r.stderr).toBe(0);
  return r;
}

export const status = (id: string) => json<IncidentStatus>('incident', 'status', id);
export const approversOf = (s: IncidentStatus, ref: string) =>
  [...(s.targets.find((t) => t.ref === ref)?.approvers ?? [])].sort();

export function setupWorld(): void {
  scratch = scratchDir('nhi-incident-offline-');
  keys.alice = scratch.key('alice');
  keys.carol = scratch.key('carol');
  configPath = localConfig(
    scratch.dir,
    'incident-offline',
    { 'vault-test': 'vault-local' },
    { tiers: { privileged: { refPatterns: ['vault-test:kv:*-priv-*'] } } },
  );
  // bob registers the OpenSSH key he already has (ssh-agent, a token...); the policy is re-signed.
  keys.bob = file('id_ed25519_bob');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob@laptop', '-f', keys.bob]);
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  config.owners.principals.bob = { publicKey: readFileSync(`${keys.bob}.pub`, 'utf8').trim() };
  writeFileSync(configPath, JSON.stringify(config));
  signLocalPolicy(configPath);
}
