import { describe, expect, it } from 'vitest';
import { resolveOwners } from '../../src/approval/owners/owners.js';
import type { TierDecision } from '../../src/approval/owners/tiers.js';
import type { IdentityRecord } from '../../src/provider.js';
import { evaluateIdentity, type RuleContext } from '../../src/scan/rules.js';
import { severityFor } from '../../src/scan/severity.js';
import { testConfig } from './helpers.js';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const owners = testConfig().config.owners;

function rec(patch: Partial<IdentityRecord> = {}): IdentityRecord {
  return {
    ref: 'fake:secret:app/db',
    provider: 'aws',
    instance: 'fake',
    kind: 'secret',
    name: 'app/db',
    owners: ['alice'],
    state: 'enabled',
    createdAt: '2025-11-01T00:00:00.000Z',
    lastUsedAt: '2025-12-30T00:00:00.000Z',
    lastUsedSignal: 'LastAccessedDate',
    lastUsedConfidence: 'day',
    lastRotatedAt: '2025-12-01T00:00:00.000Z',
    tags: {},
    versions: [],
    ...patch,
  };
}

function ctx(r: IdentityRecord, patch: Partial<RuleContext> = {}): RuleContext {
  const tier: TierDecision = { tier: 'standard' };
  return {
    tier,
    owners: resolveOwners(r.owners, owners),
    thresholds: { dormantDays: 90, maxAgeDays: 365 },
    now: NOW,
    ...patch,
  };
}

const types = (r: IdentityRecord, c?: Partial<RuleContext>) =>
  evaluateIdentity(r, ctx(r, c)).map((d) => d.type);

describe('finding rules', () => {
  it('raises nothing for a fresh, owned, recently used identity', () => {
    expect(types(rec())).toEqual([]);
  });

  it('flags dormant from the last-use signal, carrying signal and confidence', () => {
    const r = rec({ lastUsedAt: '2025-09-01T00:00:00.000Z' });
    const [d] = evaluateIdentity(r, ctx(r));
    expect(d?.type).toBe('dormant');
    expect(d?.evidence).toMatchObject({
      signal: 'LastAccessedDate',
      confidence: 'day',
      daysSinceUse: 122,
      thresholdDays: 90,
    });
  });

  it('flags a never-used identity older than the threshold', () => {
    const r = rec({
      lastUsedAt: undefined,
      createdAt: '2025-01-01T00:00:00.000Z',
      lastRotatedAt: '2025-12-01T00:00:00.000Z',
    });
    const d = evaluateIdentity(r, ctx(r)).find((x) => x.type === 'dormant');
    expect(d?.summary).toMatch(/never used per LastAccessedDate/);
  });

  it('says "no last-use signal: age-based" when the provider has no signal', () => {
    const r = rec({
      lastUsedAt: undefined,
      lastUsedSignal: undefined,
      lastUsedConfidence: 'none',
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    const d = evaluateIdentity(r, ctx(r)).find((x) => x.type === 'dormant');
    expect(d?.summary).toMatch(/^no last-use signal: age-based/);
    expect(d?.evidence.confidence).toBe('none');
  });

  it('uses the privileged thresholds and raises severity for privileged identities', () => {
    const r = rec({ lastUsedAt: '2025-11-15T00:00:00.000Z' }); // 47 days
    expect(types(r)).toEqual([]);
    const priv = evaluateIdentity(
      r,
      ctx(r, {
        tier: { tier: 'privileged', because: 'tag tier=privileged' },
        thresholds: { dormantDays: 30, maxAgeDays: 90 },
      }),
    );
    expect(priv.map((d) => d.type)).toEqual(['dormant']);
    expect(priv[0]?.severity).toBe(severityFor('dormant', 'privileged'));
    expect(severityFor('dormant', 'privileged')).not.toBe(severityFor('dormant', 'standard'));
  });

  it('flags long-lived from lastRotatedAt, falling back to createdAt', () => {
    expect(types(rec({ lastRotatedAt: '2024-06-01T00:00:00.000Z' }))).toContain('long-lived');
    const r = rec({ lastRotatedAt: undefined, createdAt: '2024-06-01T00:00:00.000Z' });
    expect(evaluateIdentity(r, ctx(r)).find((d) => d.type === 'long-lived')?.evidence.basis).toBe(
      'createdAt',
    );
  });

  it('flags expired-enabled only while enabled', () => {
    expect(types(rec({ expiresAt: '2025-12-01T00:00:00.000Z' }))).toContain('expired-enabled');
    expect(types(rec({ expiresAt: '2025-12-01T00:00:00.000Z', state: 'disabled' }))).not.toContain(
      'expired-enabled',
    );
  });

  it('flags an untagged identity and one whose owner is not registered as orphaned', () => {
    const untagged = evaluateIdentity(rec({ owners: [] }), ctx(rec({ owners: [] })));
    expect(untagged.find((d) => d.type === 'orphaned')?.evidence.reason).toBe('no-owner');
    const ghost = rec({ owners: ['ghost'] });
    expect(evaluateIdentity(ghost, ctx(ghost)).find((d) => d.type === 'orphaned')?.summary).toMatch(
      /owner not in registry: ghost/,
    );
    const team = rec({ owners: ['payments'] });
    expect(types(team)).toEqual([]);
  });

  it('flags re-enabled from the previous snapshot', () => {
    const r = rec();
    const previous = {
      ref: r.ref,
      scanId: 's1',
      seenAt: '2025-12-31T00:00:00.000Z',
      record: { state: 'disabled' },
    };
    const d = evaluateIdentity(r, ctx(r, { previous })).find((x) => x.type === 'reenabled');
    expect(d?.evidence).toMatchObject({ source: 'snapshot', previousState: 'disabled' });
    expect(d?.severity).toBe('high');
  });

  it('flags re-enabled from provider evidence newer than the previous scan, not older', () => {
    const previous = {
      ref: 'fake:secret:app/db',
      scanId: 's1',
      seenAt: '2025-12-30T00:00:00.000Z',
      record: { state: 'enabled' },
    };
    const fresh = rec({
      reenableEvidence: [{ at: '2025-12-31T10:00:00.000Z', detail: 'disabled then enabled' }],
    });
    expect(types(fresh, { previous })).toContain('reenabled');
    const stale = rec({ reenableEvidence: [{ at: '2025-12-01T10:00:00.000Z', detail: 'old' }] });
    expect(types(stale, { previous })).not.toContain('reenabled');
  });
});
