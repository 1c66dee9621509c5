/**
 * The world an incident benchmark runs in: a config file with one AWS instance (`aws-bench`),
 * the principals alice (owner), carol (requester), dave (executor) and sec-oncall (control
 * owner), their private keys as 0600 files, and the policy signed by sec-oncall as
 * `nhi policy sign` writes it. Keys are generated per run; nothing is shared with the tests.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { policyDigestOf, policyDocument } from '../src/policy/document.js';
import { appendSignature, signaturesPath, signPolicy } from '../src/policy/signatures.js';

export const INSTANCE = 'aws-bench';
const PRINCIPALS = ['alice', 'carol', 'dave', 'sec-oncall'] as const;
export type Principal = (typeof PRINCIPALS)[number];

export interface IncidentWorld {
  configPath: string;
  keyFile(p: Principal): string;
  privateKey(p: Principal): KeyObject;
}

const privateFile = (path: string, text: string) => writeFileSync(path, text, { mode: 0o600 });

/** Write the world into `dir`; `provider` is the aws-bench instance block. */
export function incidentWorld(dir: string, provider: Record<string, unknown>): IncidentWorld {
  const keys = new Map<Principal, KeyObject>();
  const principals: Record<string, { publicKey: string }> = {};
  for (const p of PRINCIPALS) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    keys.set(p, privateKey);
    privateFile(join(dir, `${p}.key`), privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    principals[p] = { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  }
  const audit = generateKeyPairSync('ed25519').privateKey;
  privateFile(join(dir, 'audit.key'), audit.export({ type: 'pkcs8', format: 'pem' }).toString());
  privateFile(join(dir, 'fingerprint.key'), `bench-fingerprint-${Date.now()}-0123456789abcdef`);
  privateFile(join(dir, 'aws-secret'), 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
  const config = {
    state: { path: join(dir, 'state.db') },
    keys: { fingerprint: 'file:./fingerprint.key', auditSigning: 'file:./audit.key' },
    log: { level: 'warn' },
    providers: {
      [INSTANCE]: {
        type: 'aws',
        region: 'us-east-1',
        credentials: {
          method: 'static',
          accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
          secretAccessKey: 'file:./aws-secret',
        },
        kinds: ['secret'],
        ...provider,
      },
    },
    owners: {
      tagKeys: ['owner'],
      principals,
      teams: { security: ['sec-oncall'] },
      breakGlass: ['security'],
    },
    policy: { controlOwners: { principals: ['sec-oncall'], quorum: 1 } },
  };
  const configPath = join(dir, 'nhi.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  // As `nhi policy sign` does: sec-oncall signs the current policy document.
  const loaded = loadConfig(configPath, {});
  const digest = policyDigestOf(policyDocument(loaded));
  appendSignature(
    signaturesPath(loaded),
    signPolicy(keys.get('sec-oncall') as KeyObject, {
      policyDigest: digest,
      previousDigest: null,
      principal: 'sec-oncall',
      signedAt: new Date().toISOString(),
    }),
  );
  return {
    configPath,
    keyFile: (p) => join(dir, `${p}.key`),
    privateKey: (p) => keys.get(p) as KeyObject,
  };
}
