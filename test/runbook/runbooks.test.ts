import { describe, expect, it } from 'vitest';
import { createAwsProvider } from '../../providers/aws/index.js';
import { createAzureProvider } from '../../providers/azure/index.js';
import { createVaultProvider } from '../../providers/vault/index.js';
import { resolveSecretRefs } from '../../src/config/secrets.js';
import { ConfigError, PolicyError } from '../../src/lib/errors.js';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import type { CredentialProvider, IdentityRecord } from '../../src/provider.js';
import { PROVIDER_REGISTRY } from '../../src/registry.js';
import { loadRunbooksFrom, parseRunbook, shippedRunbookDir } from '../../src/runbook/load.js';
import { assertCapable, planDigest, planRecovery } from '../../src/runbook/plan.js';

const deps = {
  logger: createMemoryLogger().logger,
  fingerprint: createFingerprinter(new SecretValue('k')),
  ownerTagKeys: ['owner'],
};
/** Adapters built from configs parsed by their own schemas (no network is touched). */
function parsed<T>(schema: { parse(v: unknown): T }, raw: unknown): T {
  const config = schema.parse(raw);
  resolveSecretRefs(config, { baseDir: '/', env: { X: 'token' } });
  return config;
}
const providers: Record<string, CredentialProvider> = {
  vault: createVaultProvider(
    parsed(PROVIDER_REGISTRY.vault.schema, {
      type: 'vault',
      address: 'http://127.0.0.1:8200',
      auth: { method: 'token', token: 'env:X' },
    }),
    'v',
    deps,
  ),
  aws: createAwsProvider(
    parsed(PROVIDER_REGISTRY.aws.schema, {
      type: 'aws',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:5000',
      credentials: { method: 'static', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'env:X' },
    }),
    'a',
    deps,
  ),
  azure: createAzureProvider(
    parsed(PROVIDER_REGISTRY.azure.schema, {
      type: 'azure',
      vaultUrl: 'https://localhost:8443',
      credential: { method: 'static-token', token: 'env:X' },
    }),
    'z',
    deps,
  ),
};

const base = {
  id: 'x-recovery',
  description: 'd',
  appliesTo: { provider: 'aws', kind: 'secret' },
  order: 'revoke-then-reissue',
  generator: { type: 'password', length: 32 },
};

describe('runbooks', () => {
  it('every shipped runbook loads, validates and fits what its provider can do', () => {
    const runbooks = loadRunbooksFrom([shippedRunbookDir()]);
    expect([...runbooks.keys()].sort()).toEqual([
      'aws-iam-key-recovery',
      'aws-secret-recovery',
      'aws-secret-rotation',
      'azure-secret-recovery',
      'azure-secret-rotation',
      'vault-approle-recovery',
      'vault-kv-recovery',
      'vault-token-recovery',
    ]);
    for (const rb of runbooks.values()) {
      const provider = providers[rb.appliesTo.provider] as CredentialProvider;
      expect(() =>
        assertCapable(rb, `${rb.id}-target`, provider.capabilities[rb.appliesTo.kind as 'secret']),
      ).not.toThrow();
    }
  });

  it('rejects an unknown step, naming it and the known ones', () => {
    const err = (() => {
      try {
        parseRunbook({ ...base, steps: ['approval', 'revoke', 'reissue', 'verify', 'teleport'] }, 'bad.json');
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.problems[0]).toMatchObject({
      path: 'bad.json: steps[4]',
      message: 'unknown step "teleport"',
    });
    expect(err?.problems[0]?.expected).toContain('review-activity');
  });

  it('rejects the wrong order: reissue before revoke in a recovery, revoke before verify in a rotation, approval after a side effect', () => {
    const problems = (steps: unknown[], order = 'revoke-then-reissue') => {
      try {
        parseRunbook({ ...base, order, steps }, 'o.json');
        return [];
      } catch (e) {
        return (e as ConfigError).problems.map((p) => p.message);
      }
    };
    expect(problems(['approval', 'reissue', 'revoke', 'verify'])).toContain(
      'order revoke-then-reissue: "revoke" must come before "reissue" (the attacker loses access first)',
    );
    expect(problems(['approval', 'reissue', 'revoke', 'verify'], 'reissue-then-revoke').join()).toContain(
      'then "verify", then "revoke"',
    );
    expect(problems(['revoke', 'approval', 'reissue', 'verify']).join()).toContain(
      '"approval" must come before the first side effect',
    );
    expect(problems(['approval', 'revoke', 'reissue'])).toContain('a recovery runbook needs a "verify" step');
  });

  it('rejects a step the provider cannot do (capability flags) before anything runs', () => {
    const rb = parseRunbook(
      {
        ...base,
        appliesTo: { provider: 'vault', kind: 'entity' },
        steps: ['approval', 'revoke', 'reissue', 'verify'],
      },
      'e.json',
    );
    expect(() => assertCapable(rb, 'v:entity:123', providers.vault?.capabilities.entity)).toThrow(
      PolicyError,
    );
    const modeless = parseRunbook(
      { ...base, steps: ['approval', { type: 'revoke', params: { mode: 'shred' } }, 'reissue', 'verify'] },
      'm.json',
    );
    expect(() => assertCapable(modeless, 'a:secret:x', providers.aws?.capabilities.secret)).toThrow(
      /revoke mode "shred"/,
    );
  });

  it('plans deterministically: the same snapshot gives the same canonical plan and digest; a new version changes it', () => {
    const rb = parseRunbook(
      { ...base, steps: ['snapshot', 'approval', 'hold', 'revoke', 'reissue', 'verify'] },
      'p.json',
    );
    const snapshot: IdentityRecord = {
      ref: 'aws-prod:secret:payments/db',
      provider: 'aws',
      instance: 'aws-prod',
      kind: 'secret',
      name: 'payments/db',
      owners: ['alice'],
      state: 'enabled',
      lastUsedAt: '2026-11-01T00:00:00Z',
      lastUsedConfidence: 'day',
      tags: { owner: 'alice' },
      currentVersion: 'v2',
      versions: [
        { id: 'v2', state: 'enabled', current: true, labels: ['AWSCURRENT'] },
        { id: 'v1', state: 'enabled', current: false, labels: ['AWSPREVIOUS'] },
        { id: 'v0', state: 'disabled', current: false },
      ],
    };
    const input = {
      runbook: rb,
      snapshot,
      capabilities: providers.aws?.capabilities.secret,
      owners: ['alice'],
      tier: { tier: 'standard' as const },
      policy: { quorum: 1, approvalTtlHours: 24, holdMinutes: 0, alert: [], executorNotApprover: false },
    };
    const plan = planRecovery(input);
    expect(plan).toMatchSnapshot();
    expect(
      planDigest(planRecovery({ ...input, snapshot: { ...snapshot, lastUsedAt: '2026-11-27T00:00:00Z' } })),
    ).toBe(planDigest(plan));
    const drifted = {
      ...snapshot,
      versions: [{ id: 'v3', state: 'enabled' as const, current: true }, ...snapshot.versions],
    };
    expect(planDigest(planRecovery({ ...input, snapshot: drifted }))).not.toBe(planDigest(plan));
  });
});
