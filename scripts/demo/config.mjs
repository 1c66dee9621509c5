// The demo config: test/servers/local.config.json, moved to demo-output/ (relative paths
// rewritten), scoped to the demo namespace, with a fresh state DB and demo-sized thresholds.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { KEYVAULT } from './clients.mjs';
import { APPROLE_MOUNT, KV_MOUNT, NS } from './estate.mjs';
import { CONFIG, OUT_DIR, ROOT } from './lib.mjs';

const SOURCE = 'test/servers/local.config.json';

/** Wipe demo-output/ and write demo-output/nhi.config.json. */
export function writeDemoConfig() {
  const outDir = join(ROOT, OUT_DIR);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  const src = JSON.parse(readFileSync(join(ROOT, SOURCE), 'utf8'));
  const srcDir = dirname(join(ROOT, SOURCE));
  const move = (p) => relative(outDir, resolve(srcDir, p)) || '.';
  const moveRef = (ref) => (ref.startsWith('file:') ? `file:${move(ref.slice(5))}` : ref);
  // Rewrite every "file:" secret reference and the caFile paths for the new location.
  const walk = (v, key) => {
    if (typeof v === 'string') return key === 'caFile' ? move(v) : moveRef(v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  const cfg = walk(src);
  // nhi refuses an audit signing or fingerprint key that group or others can read, and git keeps
  // no file modes (examples/ is 0644 after a clone): copy both into demo-output/keys/, mode 0600.
  mkdirSync(join(outDir, 'keys'), { recursive: true, mode: 0o700 });
  for (const field of ['auditSigning', 'fingerprint']) {
    const from = resolve(outDir, cfg.keys[field].slice('file:'.length));
    const to = join(outDir, 'keys', `nhi-${basename(from)}`);
    copyFileSync(from, to);
    chmodSync(to, 0o600);
    cfg.keys[field] = `file:${relative(outDir, to)}`;
  }

  cfg.state = { path: './nhi-state.db' };
  const vault = cfg.providers['vault-local'];
  // Only the demo's KV mount and AppRole mount; entities are server-wide (there is no filter),
  // tokens are left out because every test on the shared server leaves some behind.
  vault.kinds = ['kv', 'approle', 'entity'];
  vault.kv = { mounts: [KV_MOUNT] };
  vault.approle = { ...vault.approle, mount: APPROLE_MOUNT, deliveryPath: 'secret/nhi-demo-delivery' };
  cfg.providers['azure-local'].vaultUrl = KEYVAULT;
  const aws = cfg.providers['aws-local'];
  aws.secrets = { namePrefix: `${NS}/` };
  aws.iam = { pathPrefix: `/${NS}/`, deliveryPrefix: `${NS}/iam-keys/` };

  cfg.policy = {
    ...cfg.policy,
    // 0.1 min = a 6 s cool-off between the last privileged approval and the run.
    privileged: { ...cfg.policy.privileged, holdMinutes: 0.1 },
    // As production should: --as on request / run / resume must be signed with the actor's key.
    requireSignedActors: true,
    // The policy's named control owner: she signs the policy (nhi policy sign) before any request.
    controlOwners: { principals: ['sec-oncall'], quorum: 1 },
  };
  // The smallest thresholds the schema allows (whole days, at least 1). Everything the demo
  // seeds is minutes old, so "dormant" and "long-lived" (both age-based) fire only where the
  // clock can be moved: the Key Vault emulator's time shift ages the demo's Azure secrets by
  // 200 days. AWS and OpenBao identities would show them the day after, on the same servers.
  cfg.scan = { standard: { dormantDays: 1, maxAgeDays: 30 }, privileged: { dormantDays: 1, maxAgeDays: 7 } };
  cfg.log = { level: 'warn' };

  writeFileSync(join(ROOT, CONFIG), `${JSON.stringify(cfg, null, 2)}\n`);
  return cfg;
}
