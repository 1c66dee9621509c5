/**
 * A small in-memory CredentialProvider for engine tests: identities are plain records the
 * test edits between scans; activity evidence is set per ref. Only scan-side methods work.
 */
import { NotImplementedError } from '../../src/lib/errors.js';
import { sleep } from '../../src/lib/rate-limit.js';
import { type CredentialRef, formatRef } from '../../src/lib/ref.js';
import type {
  ActivityEvidence,
  CredentialProvider,
  IdentityRecord,
  KindCapabilities,
  ProviderCapabilities,
} from '../../src/provider.js';

export const SECRET_CAPS: KindCapabilities = {
  inventory: true,
  revoke: true,
  reissue: true,
  verify: true,
  activity: true,
  discard: false,
  revokeModes: ['disable'],
};

export interface FakeProviderOptions {
  instance?: string;
  /** Delay before each record is yielded (abort tests). */
  delayMs?: number;
  /** Throw after yielding this many records (provider failure tests). */
  failAfter?: number;
  capabilities?: ProviderCapabilities;
}

export class FakeProvider implements CredentialProvider {
  readonly type = 'aws' as const;
  readonly instance: string;
  readonly capabilities: ProviderCapabilities;
  readonly records = new Map<string, IdentityRecord>();
  readonly activity = new Map<string, ActivityEvidence[]>();
  delayMs: number;
  failAfter: number | undefined;
  activityCalls: { ref: string; since: string; versionIds: readonly string[] }[] = [];

  constructor(opts: FakeProviderOptions = {}) {
    this.instance = opts.instance ?? 'fake';
    this.capabilities = opts.capabilities ?? { secret: SECRET_CAPS };
    this.delayMs = opts.delayMs ?? 0;
    this.failAfter = opts.failAfter;
  }

  /** Add or replace an identity; `name` becomes the locator. */
  put(name: string, patch: Partial<IdentityRecord> = {}): IdentityRecord {
    const rec: IdentityRecord = {
      ref: `${this.instance}:secret:${name}`,
      provider: 'aws',
      instance: this.instance,
      kind: 'secret',
      name,
      owners: ['alice'],
      state: 'enabled',
      // Fresh relative to the tests' clock (2026-01-01): no finding unless a test says so.
      createdAt: '2025-06-01T00:00:00.000Z',
      lastUsedAt: '2025-12-20T00:00:00.000Z',
      lastUsedSignal: 'LastAccessedDate',
      lastUsedConfidence: 'day',
      lastRotatedAt: '2025-11-01T00:00:00.000Z',
      tags: { owner: 'alice' },
      currentVersion: 'v1',
      versions: [{ id: 'v1', state: 'enabled', current: true }],
      ...patch,
    };
    this.records.set(rec.ref, rec);
    return rec;
  }

  update(name: string, patch: Partial<IdentityRecord>): void {
    const ref = `${this.instance}:secret:${name}`;
    const rec = this.records.get(ref);
    if (!rec) throw new Error(`no ${ref}`);
    this.records.set(ref, { ...rec, ...patch });
  }

  remove(name: string): void {
    this.records.delete(`${this.instance}:secret:${name}`);
  }

  async *inventory(opts?: { signal?: AbortSignal }): AsyncIterable<IdentityRecord> {
    let n = 0;
    for (const rec of [...this.records.values()]) {
      if (this.failAfter !== undefined && n >= this.failAfter)
        throw new Error('fake provider: listing failed');
      if (this.delayMs > 0) await sleep(this.delayMs, opts?.signal);
      n++;
      yield structuredClone(rec);
    }
  }

  async describe(ref: CredentialRef): Promise<IdentityRecord> {
    const rec = this.records.get(formatRef(ref));
    if (!rec) throw new Error('not found');
    return structuredClone(rec);
  }

  async activitySince(
    ref: CredentialRef,
    since: string,
    versionIds: readonly string[],
  ): Promise<ActivityEvidence[]> {
    this.activityCalls.push({ ref: formatRef(ref), since, versionIds });
    return this.activity.get(formatRef(ref)) ?? [];
  }

  revoke(): never {
    throw new NotImplementedError('fake revoke');
  }
  reissue(): never {
    throw new NotImplementedError('fake reissue');
  }
  findIssued(): never {
    throw new NotImplementedError('fake findIssued');
  }
  verify(): never {
    throw new NotImplementedError('fake verify');
  }
}
