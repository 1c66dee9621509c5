/** Bench support: config for the pipeline, and the optional real-adapter run against local moto. */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type Config, parseConfig } from '../src/config/load.js';
import { createFingerprinter } from '../src/lib/fingerprint.js';
import { SecretValue } from '../src/lib/secret.js';
import type { CredentialProvider } from '../src/provider.js';
import { createProvider } from '../src/registry.js';

const MOTO = process.env.BENCH_MOTO_URL ?? 'http://127.0.0.1:5000';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const prefix = `nhi-bench-${randomUUID().slice(0, 8)}/`;
let created: string[] = [];

/** The bench's provider instance: the moto-backed AWS one, or a given one (fake clients). */
export function benchConfig(dir: string, provider?: Record<string, unknown>): Config {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const env = {
    BENCH_FP: 'bench-fingerprint-key',
    BENCH_AUDIT: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    BENCH_AWS: SECRET,
    BENCH_TOKEN: 'bench-token',
  };
  const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return parseConfig(
    {
      state: { path: join(dir, 'state.db') },
      keys: { fingerprint: 'env:BENCH_FP', auditSigning: 'env:BENCH_AUDIT' },
      providers: {
        bench: provider ?? {
          type: 'aws',
          region: 'us-east-1',
          endpoint: MOTO,
          credentials: { method: 'static', accessKeyId: KEY_ID, secretAccessKey: 'env:BENCH_AWS' },
          kinds: ['secret'],
          secrets: { namePrefix: prefix },
        },
      },
      owners: { principals: { alice: { publicKey: pub } }, teams: { payments: ['alice'] } },
    },
    { sourcePath: join(dir, 'nhi.config.json'), env },
  );
}

/** Seed N secrets on moto (8 in flight) and return the real AWS adapter over them. */
export async function motoProvider(
  n: number,
  logger: Logger,
): Promise<{ provider: CredentialProvider; note: string }> {
  const sm = await import('@aws-sdk/client-secrets-manager');
  const client = new sm.SecretsManagerClient({
    region: 'us-east-1',
    endpoint: MOTO,
    credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
    maxAttempts: 2,
  });
  await fetch(`${MOTO}/moto-api/`).catch(() => {
    throw new Error(`moto not reachable at ${MOTO}`);
  });
  const t0 = performance.now();
  const names = Array.from({ length: n }, (_, i) => `${prefix}svc-${i}`);
  for (let i = 0; i < names.length; i += 8) {
    await Promise.all(
      names.slice(i, i + 8).map((Name, j) =>
        client.send(
          new sm.CreateSecretCommand({
            Name,
            SecretString: 'bench',
            ...((i + j) % 7 ? { Tags: [{ Key: 'owner', Value: 'alice' }] } : {}),
          }),
        ),
      ),
    );
  }
  created = names;
  client.destroy();
  const config = benchConfig('/tmp').providers.bench;
  if (config?.type !== 'aws') throw new Error('bench config');
  const provider = await createProvider('bench', config, {
    logger,
    fingerprint: createFingerprinter(new SecretValue('bench-fingerprint-key')),
    ownerTagKeys: ['owner'],
  });
  return {
    provider,
    note: `seeded ${n} secrets in ${((performance.now() - t0) / 1000).toFixed(1)} s; adapter default budgets`,
  };
}

export async function cleanupMoto(): Promise<void> {
  if (created.length === 0) return;
  const sm = await import('@aws-sdk/client-secrets-manager');
  const client = new sm.SecretsManagerClient({
    region: 'us-east-1',
    endpoint: MOTO,
    credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
    maxAttempts: 2,
  });
  for (let i = 0; i < created.length; i += 16) {
    await Promise.all(
      created
        .slice(i, i + 16)
        .map((SecretId) =>
          client
            .send(new sm.DeleteSecretCommand({ SecretId, ForceDeleteWithoutRecovery: true }))
            .catch(() => undefined),
        ),
    );
  }
  client.destroy();
  created = [];
}
