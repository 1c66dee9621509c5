/**
 * Issue 10 hardening, at the config layer: one public key under two principal names is refused
 * (keys count, not names); names that are prototype members (`__proto__`, `constructor`, ...)
 * never match a registry entry that does not exist; private key files must be private; a public
 * key file others can write is warned about.
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownersFromTags as awsOwnersFromTags, tagRecord } from '../../providers/aws/client.js';
import { ownersFromTags as azureOwnersFromTags } from '../../providers/azure/records.js';
import { ownerEntries, stringMap, ownersFrom as vaultOwnersFrom } from '../../providers/vault/common.js';
import { createOwnerRegistry } from '../../src/approval/owners/owner-registry.js';
import { resolveOwners } from '../../src/approval/owners/owners.js';
import { classifyTier } from '../../src/approval/owners/tiers.js';
import { type Config, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/lib/errors.js';
import type { IdentityRecord } from '../../src/provider.js';
import { evaluateIdentity } from '../../src/scan/rules.js';

const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
];

function pem(): { pub: string; priv: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    pub: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** A scratch dir with private audit + fingerprint keys (0600) and a config writer. */
function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-keys-names-'));
  writeFileSync(join(dir, 'audit.key'), pem().priv, { mode: 0o600 });
  writeFileSync(join(dir, 'fp.key'), 'fingerprint-key-for-tests', { mode: 0o600 });
  const raw = (principals: Record<string, { publicKey: string }>, extra: Record<string, unknown> = {}) => ({
    keys: { fingerprint: 'file:fp.key', auditSigning: 'file:audit.key' },
    providers: { 'aws-test': { type: 'aws', region: 'eu-west-1', credentials: { method: 'default' } } },
    owners: { principals },
    ...extra,
  });
  const parse = (value: unknown, env: NodeJS.ProcessEnv = {}): Config =>
    parseConfig(value, { sourcePath: join(dir, 'nhi.config.json'), env });
  return { dir, raw, parse };
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

function rec(owners: string[], tags: Record<string, string> = {}): IdentityRecord {
  return {
    ref: 'aws-test:secret:app/db',
    provider: 'aws',
    instance: 'aws-test',
    kind: 'secret',
    name: 'app/db',
    owners,
    state: 'enabled',
    createdAt: '2025-12-01T00:00:00.000Z',
    lastUsedAt: '2025-12-30T00:00:00.000Z',
    lastUsedSignal: 'LastAccessedDate',
    lastUsedConfidence: 'day',
    lastRotatedAt: '2025-12-01T00:00:00.000Z',
    tags,
    versions: [],
  };
}

describe('one public key, one principal', () => {
  it('refuses the same key file under two principal names, naming both', () => {
    const w = workspace();
    writeFileSync(join(w.dir, 'alice.pub'), pem().pub);
    const error = configError(() =>
      w.parse(w.raw({ alice: { publicKey: 'file:alice.pub' }, alice2: { publicKey: 'file:alice.pub' } })),
    );
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ path: 'owners.principals.alice2.publicKey' });
    expect(error.problems[0]?.message).toContain('"alice" and "alice2" have the same public key');
    expect(error.problems[0]?.found).toMatch(/^key ed25519:[0-9a-f]{64} under alice, alice2$/);
  });

  it('compares keys by key id: an inline PEM and a file holding the same key are the same key', () => {
    const w = workspace();
    const k = pem();
    writeFileSync(join(w.dir, 'bob.pub'), `\n${k.pub}\n\n`);
    const error = configError(() =>
      w.parse(
        w.raw({
          alice: { publicKey: k.pub },
          bob: { publicKey: 'file:bob.pub' },
          carol: { publicKey: k.pub.replace(/\n/g, '\r\n') },
          dave: { publicKey: pem().pub },
        }),
      ),
    );
    expect(error.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('principals "alice", "bob" and "carol" have the same public key'),
    ]);
  });

  it('accepts distinct keys', () => {
    const w = workspace();
    const config = w.parse(w.raw({ alice: { publicKey: pem().pub }, bob: { publicKey: pem().pub } }));
    expect(Object.keys(config.owners.principals)).toEqual(['alice', 'bob']);
    expect(config.warnings).toEqual([]);
  });
});

describe('names that are prototype members', () => {
  const w = workspace();
  /** The defaults: no principals, no teams. */
  const empty = w.parse({ ...w.raw({}), owners: undefined }).owners;
  const owners = w.parse({
    ...w.raw({ alice: { publicKey: pem().pub }, bob: { publicKey: pem().pub } }),
    owners: {
      principals: { alice: { publicKey: pem().pub }, bob: { publicKey: pem().pub } },
      teams: { payments: ['alice', 'bob'] },
    },
  }).owners;

  it.each(PROTOTYPE_NAMES)('an owner tag %j is an unknown owner, and the identity is orphaned', (name) => {
    expect(resolveOwners([name], owners)).toEqual({ principals: [], unknown: [name] });
    expect(resolveOwners([name], empty)).toEqual({ principals: [], unknown: [name] });
    const r = rec([name]);
    const orphaned = evaluateIdentity(r, {
      tier: { tier: 'standard' },
      owners: resolveOwners(r.owners, owners),
      thresholds: { dormantDays: 90, maxAgeDays: 365 },
      now: new Date('2026-01-01T00:00:00.000Z'),
    }).find((d) => d.type === 'orphaned');
    expect(orphaned?.evidence).toMatchObject({ reason: 'unknown-owner', unknown: [name] });
  });

  it('a real owner next to a prototype name still resolves; the other stays unknown', () => {
    expect(resolveOwners(['constructor', 'payments', '__proto__'], owners)).toEqual({
      principals: ['alice', 'bob'],
      unknown: ['constructor', '__proto__'],
    });
  });

  it('the registry and break-glass checks see no prototype members', () => {
    const registry = createOwnerRegistry(owners, w.dir);
    for (const name of PROTOTYPE_NAMES) {
      expect(registry.principal(name)).toBeUndefined();
      expect(registry.isBreakGlass(name)).toBe(false);
      expect(registry.registeredOwners([name])).toEqual([]);
    }
  });

  it('a principal and a team literally named "constructor" work like any other name', () => {
    const v = workspace();
    const named = v.parse({
      ...v.raw({}),
      owners: {
        principals: { constructor: { publicKey: pem().pub }, toString: { publicKey: pem().pub } },
        teams: { constructor: ['toString'] },
        breakGlass: ['constructor'],
      },
    });
    // A principal name wins over a team of the same name, as for any name.
    expect(resolveOwners(['constructor'], named.owners)).toEqual({
      principals: ['constructor'],
      unknown: [],
    });
    expect(resolveOwners(['toString', 'hasOwnProperty'], named.owners)).toEqual({
      principals: ['toString'],
      unknown: ['hasOwnProperty'],
    });
    const registry = createOwnerRegistry(named.owners, v.dir);
    expect(registry.names()).toEqual(['constructor', 'toString']);
    expect(registry.principal('constructor')?.keyId).toMatch(/^ed25519:/);
    expect(registry.isBreakGlass('constructor')).toBe(true);
  });

  it('refuses "__proto__" as a name anywhere in the config (zod would drop it without a word)', () => {
    const v = workspace();
    const raw = JSON.parse(
      JSON.stringify(v.raw({ alice: { publicKey: pem().pub } })).replace(
        '"owners":{',
        '"tiers":{"privileged":{"tags":{"__proto__":"privileged"}}},"owners":{"teams":{"__proto__":["alice"]},',
      ),
    );
    const error = configError(() => v.parse(raw));
    expect(error.problems.map((p) => p.path).sort()).toEqual([
      'owners.teams.__proto__',
      'tiers.privileged.tags.__proto__',
    ]);
    expect(error.problems[0]?.message).toBe('"__proto__" is not allowed as a name or field');
    // In a strict object it is said once, not also as an unknown field.
    const strict = JSON.parse(JSON.stringify(v.raw({})).replace('"keys":{', '"keys":{"__proto__":1,'));
    expect(configError(() => v.parse(strict)).problems).toEqual([
      expect.objectContaining({ path: 'keys.__proto__' }),
    ]);
  });

  it('a tier tag rule never matches a prototype member of the identity tags', () => {
    const tiers = w.parse({ ...w.raw({}), tiers: { privileged: { tags: { constructor: 'x' } } } }).tiers;
    expect(classifyTier(rec([], {}), tiers)).toEqual({ tier: 'standard' });
    expect(classifyTier(rec([], { constructor: 'x' }), tiers).tier).toBe('privileged');
  });

  it('env:constructor (or any name only the prototype has) is "not set"', () => {
    const v = workspace();
    const raw = { ...v.raw({}), keys: { fingerprint: 'env:constructor', auditSigning: 'file:audit.key' } };
    expect(configError(() => v.parse(raw)).problems).toEqual([
      expect.objectContaining({
        path: 'keys.fingerprint',
        message: 'environment variable constructor is not set',
      }),
    ]);
  });

  it('provider tag parsing keeps a "__proto__" tag as a tag and reads only own tag keys', () => {
    const aws = tagRecord([
      { Key: '__proto__', Value: 'x' },
      { Key: 'owner', Value: '__proto__, constructor' },
    ]);
    expect(Object.keys(aws)).toEqual(['__proto__', 'owner']);
    expect(Object.getPrototypeOf(aws)).toBe(Object.prototype);
    expect(awsOwnersFromTags(aws, ['owner'])).toEqual(['__proto__', 'constructor']);
    // A configured tag key that only the prototype has: no owners (this used to throw).
    for (const key of ['constructor', 'toString', '__proto__']) {
      expect(awsOwnersFromTags({}, [key])).toEqual([]);
      expect(azureOwnersFromTags({}, [key])).toEqual([]);
      expect(vaultOwnersFrom({}, [key])).toEqual([]);
      expect(ownerEntries({}, [key])).toEqual({});
    }
    const vault = stringMap(JSON.parse('{"__proto__":"a","owner":"constructor"}'));
    expect(Object.keys(vault)).toEqual(['__proto__', 'owner']);
    expect(vaultOwnersFrom(vault, ['owner'])).toEqual(['constructor']);
  });
});

describe('key file modes', () => {
  it.each([
    ['keys.auditSigning', 'audit.key', 0o644],
    ['keys.auditSigning', 'audit.key', 0o640],
    ['keys.fingerprint', 'fp.key', 0o604],
    ['keys.fingerprint', 'fp.key', 0o620],
  ])('refuses %s in a file with mode %s.%o, with the chmod 600 fix', (path, file, mode) => {
    const w = workspace();
    chmodSync(join(w.dir, file), mode);
    const error = configError(() => w.parse(w.raw({})));
    const full = join(w.dir, file);
    expect(error.problems).toEqual([
      {
        path,
        message: `${full} is accessible by group or others (mode 0${mode.toString(8)}); this key must be private to its owner: chmod 600 ${full}`,
        expected: 'a file only its owner can read or write (mode 0600 or 0400)',
        found: `mode 0${mode.toString(8)}`,
      },
    ]);
  });

  it('accepts owner-only modes (0600, 0400) and does not check other secret files', () => {
    const w = workspace();
    chmodSync(join(w.dir, 'audit.key'), 0o400);
    writeFileSync(join(w.dir, 'hook.key'), 'hook-secret', { mode: 0o644 });
    const config = w.parse(
      w.raw(
        {},
        { notify: { sec: { type: 'webhook', url: 'http://127.0.0.1:9/x', secret: 'file:hook.key' } } },
      ),
    );
    expect(config.keys.auditSigning.resolved).toBe(true);
  });

  it('warns (does not refuse) when a public key file is writable by group or others', () => {
    const w = workspace();
    writeFileSync(join(w.dir, 'alice.pub'), pem().pub);
    writeFileSync(join(w.dir, 'bob.pub'), pem().pub);
    chmodSync(join(w.dir, 'alice.pub'), 0o664);
    chmodSync(join(w.dir, 'bob.pub'), 0o644);
    const config = w.parse(
      w.raw({ alice: { publicKey: 'file:alice.pub' }, bob: { publicKey: 'file:bob.pub' } }),
    );
    const file = join(w.dir, 'alice.pub');
    expect(config.warnings).toEqual([
      {
        path: 'owners.principals.alice.publicKey',
        message: `public key file ${file} is writable by group or others (mode 0664); whoever can write it can replace the key: chmod 644 ${file}`,
        expected: 'a file only its owner can write (mode 0644 or stricter)',
        found: 'mode 0664',
      },
    ]);
  });
});
