/**
 * The world test/cli/json-schemas.test.ts runs every command in: a config over a KV mount of
 * its own on the local OpenBao (so scans and inventories see only what it seeded), the example
 * owner keys, an in-process `nhi`, and the rows no command of this world makes by itself (a
 * pending passkey, a revoked-still-used finding), written through the store's own API.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createApp } from '../../src/app.js';
import { runCli } from '../../src/cli/program.js';
import { findingId } from '../../src/scan/findings.js';
import { vaultApi } from '../providers/vault.fixture.js';
import { Capture, inProcessCli, localConfig, scratchDir } from '../runbook/local-app.js';

export const INSTANCE = 'vault-json';

export interface World {
  dir: string;
  config: string;
  mount: string;
  key(owner: string): string;
  /** `nhi --config <world> ...` in this process. */
  nhi: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  ref(name: string): string;
}

/** `nhi ...` with no config: what an owner runs on their laptop (and keygen, init). */
export async function bare(...args: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(args, { stdout, stderr, env: {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Secrets: `std-a` (request, run, lineage), `std-d` (offline approval), `inc-b`/`inc-c` (an incident), `orphan`. */
export async function makeWorld(): Promise<World> {
  const scratch = scratchDir('nhi-json-schemas-');
  const mount = `nhi-json-${randomUUID().slice(0, 8)}`;
  const config = localConfig(scratch.dir, 'json', { [INSTANCE]: 'vault-local' });
  const cfg = JSON.parse(readFileSync(config, 'utf8'));
  Object.assign(cfg.providers[INSTANCE], { kinds: ['kv'], kv: { mounts: [mount] } });
  writeFileSync(config, JSON.stringify(cfg));
  const enabled = await vaultApi('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '2' } });
  if (enabled.status >= 300) throw new Error(`mount ${mount}: HTTP ${enabled.status}`);
  for (const [name, owner] of [
    ['std-a', 'alice'],
    ['std-d', 'alice'],
    ['inc-b', 'alice'],
    ['inc-c', 'bob'],
    ['orphan', undefined],
  ] as const) {
    const put = await vaultApi('POST', `${mount}/data/app/${name}`, { data: { password: `old-${name}` } });
    if (put.status !== 200) throw new Error(`seed ${name}: HTTP ${put.status}`);
    if (owner) await vaultApi('POST', `${mount}/metadata/app/${name}`, { custom_metadata: { owner } });
  }
  return {
    dir: scratch.dir,
    config,
    mount,
    key: scratch.key,
    nhi: inProcessCli(() => config),
    ref: (name) => `${INSTANCE}:kv:${mount}/app/${name}`,
  };
}

export async function dropWorld(w: World | undefined): Promise<void> {
  if (w) await vaultApi('DELETE', `sys/mounts/${w.mount}`).catch(() => undefined);
}

/** A pending passkey of alice's, as the approval page registers one (its key is a real P-256 SPKI). */
export async function seedPasskey(w: World): Promise<string> {
  const credentialId = `cred-${randomUUID()}`;
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await withApp(w, (app) =>
    app.store.passkeys.insert({
      credentialId,
      principal: 'alice',
      status: 'pending',
      cosePublicKey: 'pQECAyYgASFY',
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      rpId: 'localhost',
      origin: 'http://localhost:8787',
      counter: 0,
      createdAt: new Date().toISOString(),
    }),
  );
  return credentialId;
}

/** An open revoked-still-used finding on `ref` (a scan makes one only from a provider's use signal). */
export async function seedRevokedUse(w: World, ref: string): Promise<string> {
  const id = findingId('revoked-still-used', ref);
  const at = new Date().toISOString();
  await withApp(w, (app) =>
    app.store.findings.upsert({
      id,
      type: 'revoked-still-used',
      ref,
      severity: 'critical',
      status: 'open',
      firstSeen: at,
      lastSeen: at,
      owners: ['alice'],
      summary: 'a revoked version was used after recovery',
      evidence: {
        tier: 'standard',
        uses: [
          {
            versionId: '1',
            revokedAt: at,
            lastUsedAt: at,
            signal: 'test',
            confidence: 'exact',
            verdict: 'yes',
          },
        ],
      },
    }),
  );
  return id;
}

async function withApp<T>(w: World, fn: (app: Awaited<ReturnType<typeof createApp>>) => Promise<T>) {
  const app = await createApp({ configPath: w.config, verbose: false, env: {} });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
