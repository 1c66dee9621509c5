import { createPrivateKey } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { App } from '../../src/app.js';
import { recordDecision } from '../../src/approval/decisions/decide.js';
import { ownerRegistryFromConfig } from '../../src/approval/owners/owner-registry.js';
import { runCli } from '../../src/cli/program.js';
import { loadConfig } from '../../src/config/load.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createRequest } from '../../src/runbook/requests.js';
import { signTestPolicy, withControlOwners } from '../policy/sign.js';
import { AZURE_KEYVAULT_URL } from '../servers/endpoints.js';
import { testCliMain } from '../servers/test-build.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = testCliMain();

/** A scratch directory with copies of the example owner keys at mode 0600 (git does not keep modes). */
export function scratchDir(prefix: string): { dir: string; key(owner: string): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    key(owner) {
      const path = join(dir, `${owner}.key`);
      copyFileSync(join(ROOT, 'examples/keys', `${owner}.key`), path);
      chmodSync(path, 0o600);
      return path;
    },
  };
}

/**
 * A config for one scenario, built from test/servers/local.config.json: the named provider
 * blocks under the instance names the test uses, absolute paths, the Key Vault URL of
 * endpoints.ts, and a fresh state DB.
 */
export function localConfig(
  dir: string,
  name: string,
  instances: Record<string, string>,
  extra: Record<string, unknown> = {},
): string {
  const local = JSON.parse(readFileSync(join(ROOT, 'test/servers/local.config.json'), 'utf8'));
  const base = join(ROOT, 'test/servers');
  const abs = (p: string) => (p.startsWith('file:') ? `file:${resolve(base, p.slice(5))}` : p);
  const providers: Record<string, unknown> = {};
  for (const [instance, block] of Object.entries(instances)) {
    const p = { ...local.providers[block] };
    if (p.auth?.token) p.auth = { ...p.auth, token: abs(p.auth.token) };
    if (p.credentials?.secretAccessKey)
      p.credentials = { ...p.credentials, secretAccessKey: abs(p.credentials.secretAccessKey) };
    if (p.credential?.token) p.credential = { ...p.credential, token: abs(p.credential.token) };
    if (p.caFile) p.caFile = resolve(base, p.caFile);
    // The Key Vault the fixtures use (NHI_TEST_KEYVAULT_URL may point at another local one).
    if (p.type === 'azure') p.vaultUrl = AZURE_KEYVAULT_URL;
    providers[instance] = p;
  }
  const principals = Object.fromEntries(
    Object.entries(local.owners.principals as Record<string, { publicKey: string }>).map(([k, v]) => [
      k,
      { publicKey: abs(v.publicKey) },
    ]),
  );
  // The audit signing and fingerprint keys must be private (0600); git keeps no modes, so copy them.
  const privateCopy = (ref: string) => {
    const from = resolve(base, ref.slice('file:'.length));
    const to = join(dir, `nhi-${basename(from)}`);
    copyFileSync(from, to);
    chmodSync(to, 0o600);
    return `file:${to}`;
  };
  const config = {
    state: { path: join(dir, `${name}.db`) },
    keys: {
      fingerprint: privateCopy(local.keys.fingerprint),
      auditSigning: privateCopy(local.keys.auditSigning),
    },
    log: { level: 'warn' },
    providers,
    owners: { ...local.owners, principals },
    ...extra,
  };
  // sec-oncall is the control owner and signs the policy (examples/keys/sec-oncall.key).
  withControlOwners(config, ['sec-oncall']);
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  signLocalPolicy(path);
  return path;
}

/** Sign the policy of the config at `path` as sec-oncall, e.g. after a test edited the config. */
export function signLocalPolicy(path: string, previousDigest: string | null = null): string {
  const key = createPrivateKey(readFileSync(join(ROOT, 'examples/keys/sec-oncall.key'), 'utf8'));
  return signTestPolicy(loadConfig(path, process.env), { 'sec-oncall': key }, { previousDigest });
}

/** File a request as carol and approve it with the owners' keys, through the approval module's API. */
export async function approvedRequest(
  app: App,
  ref: string,
  runbook: string,
  approvers: Record<string, string>,
): Promise<string> {
  const req = await createRequest(app.engine(), {
    ref,
    runbookId: runbook,
    reason: 'e2e',
    requester: 'carol',
  });
  for (const [principal, keyPath] of Object.entries(approvers)) {
    await recordDecision(
      {
        store: app.store,
        audit: app.audit,
        config: app.config,
        notifier: app.notifier,
        registry: ownerRegistryFromConfig(app.config),
      },
      {
        requestId: req.id,
        principal,
        decision: 'approve',
        now: new Date(),
        privateKey: new SecretValue(readFileSync(keyPath, 'utf8')),
      },
    );
  }
  return req.id;
}

/** Collects what a command writes, for in-process CLI runs. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** `nhi --config <path> ...` in this process: exit code and captured output. */
export function inProcessCli(configPath: () => string) {
  return async (...args: string[]) => {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runCli(['--config', configPath(), ...args], { stdout, stderr, env: {} });
    return { code, stdout: stdout.text, stderr: stderr.text };
  };
}

/** The request id and plan digest that `nhi request` printed (owners approve with `--digest`). */
export function filedRequest(stdout: string): { id: string; digest: string } {
  const id = stdout.match(/request (\S+) filed/)?.[1];
  const digest = stdout.match(/plan digest (sha256:[0-9a-f]+)/)?.[1];
  if (!id || !digest) throw new Error(`nhi request printed no request id and digest:\n${stdout}`);
  return { id, digest };
}
