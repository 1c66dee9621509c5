import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFingerprinter } from '../../src/lib/fingerprint.js';
import { parseRef } from '../../src/lib/ref.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import type { CredentialProvider, IdentityRecord, ReissueContext } from '../../src/provider.js';
import type { ProviderFixture } from './fixture.js';

/** The behaviours every adapter must show against its real local server. */
export function describeProviderContract(fixture: ProviderFixture): void {
  describe(`${fixture.name} provider contract`, () => {
    const memory = createMemoryLogger();
    const fingerprint = createFingerprinter(new SecretValue('contract-fingerprint-key'));
    let provider: CredentialProvider;
    const canary = `CANARY-${randomUUID()}`;
    const suffix = randomUUID().slice(0, 8);

    const ctx = (runId: string, stepId: string): ReissueContext => ({
      runId,
      stepId,
      idempotencyKey: `${runId}:${stepId}`,
      fingerprint,
      logger: memory.logger,
      params: {},
      generator: { type: 'password', length: 40, symbols: false },
    });

    async function inventoryOf(ref: string): Promise<IdentityRecord | undefined> {
      for await (const rec of provider.inventory()) if (rec.ref === ref) return rec;
      return undefined;
    }

    beforeAll(async () => {
      await fixture.reset();
      provider = await fixture.createProvider({ logger: memory.logger, fingerprint });
    });

    it('finds a seeded identity with its owner, enabled state and current version', async () => {
      const ref = await fixture.seed({ name: `owned-${suffix}`, value: canary, owner: 'alice' });
      const rec = await inventoryOf(ref);
      expect(rec).toBeDefined();
      expect(rec?.owners).toContain('alice');
      expect(rec?.state).toBe('enabled');
      expect(rec?.kind).toBe(fixture.kind);
      const described = await provider.describe(parseRef(ref));
      expect(described.currentVersion).toBeTruthy();
      expect(described.versions.some((v) => v.current && v.state === 'enabled')).toBe(true);
    });

    it('reports an untagged identity with no owners', async () => {
      const ref = await fixture.seed({ name: `orphan-${suffix}`, value: 'orphan-value-123456' });
      expect((await inventoryOf(ref))?.owners).toEqual([]);
    });

    it('revoke makes the old version unusable and is idempotent', async () => {
      const ref = await fixture.seed({ name: `revoke-${suffix}`, value: 'to-be-revoked-0123456789' });
      const parsed = parseRef(ref);
      const before = await provider.describe(parsed);
      const old = before.currentVersion as string;
      expect(await fixture.isUsable(ref, old)).toBe(true);
      const first = await provider.revoke(parsed, [old], ctx('run-r', 'revoke'));
      expect(first.map((r) => r.status)).toEqual(['revoked']);
      expect(await fixture.isUsable(ref, old)).toBe(false);
      const again = await provider.revoke(parsed, [old], ctx('run-r', 'revoke'));
      expect(again.map((r) => r.status)).toEqual(['already-revoked']);
    });

    it('reissue creates exactly one new version with a new fingerprint, also when called twice with one key', async () => {
      const ref = await fixture.seed({ name: `reissue-${suffix}`, value: canary, owner: 'bob' });
      const parsed = parseRef(ref);
      const before = await provider.describe(parsed);
      const runId = `run-${randomUUID()}`;
      const first = await provider.reissue(parsed, ctx(runId, 'reissue'));
      expect(first.status).toBe('issued');
      expect(first.versionId).not.toBe(before.currentVersion);
      expect(first.fingerprint).not.toBe(fingerprint(canary));
      const second = await provider.reissue(parsed, ctx(runId, 'reissue'));
      expect(second.status).toBe('already-issued');
      expect(second.versionId).toBe(first.versionId);
      const found = await provider.findIssued(parsed, `${runId}:reissue`);
      expect(found?.versionId).toBe(first.versionId);
      expect(await provider.findIssued(parsed, `${runId}:other`)).toBeUndefined();
      expect((await provider.verify(parsed, first)).ok).toBe(true);
      const after = await provider.describe(parsed);
      expect(after.versions.length).toBe(before.versions.length + 1);
    });

    it('reports disabled, deleted and restored states', async () => {
      const ref = await fixture.seed({ name: `states-${suffix}`, value: 'state-value-0123456789' });
      const parsed = parseRef(ref);
      if (fixture.disable && fixture.enable) {
        await fixture.disable(ref);
        expect((await provider.describe(parsed)).state).toBe('disabled');
        await fixture.enable(ref);
        expect((await provider.describe(parsed)).state).toBe('enabled');
      }
      if (fixture.remove && fixture.restore) {
        await fixture.remove(ref);
        expect((await provider.describe(parsed)).state).toBe('deleted');
        await fixture.restore(ref);
        const restored = await provider.describe(parsed);
        expect(restored.state).toBe('enabled');
      }
    });

    it('never writes a secret value into logs', () => {
      expect(memory.lines()).not.toContain(canary);
      expect(memory.lines()).not.toContain('contract-fingerprint-key');
    });
  });
}
