import type {
  CredentialProvider,
  CredentialRef,
  IdentityRecord,
  IssuedCredential,
  KindCapabilities,
  ReissueContext,
  RevokedVersion,
  StepContext,
} from '../../src/provider.js';

interface FakeVersion {
  id: string;
  value: string;
  enabled: boolean;
  key?: string;
}

/** An in-memory credential store speaking the provider contract, with knobs for failures. */
export class FakeProvider implements CredentialProvider {
  readonly type = 'aws' as const;
  readonly instance: string;
  readonly capabilities: Partial<Record<'secret', KindCapabilities>> = {
    secret: {
      inventory: true,
      revoke: true,
      reissue: true,
      verify: true,
      activity: false,
      discard: true,
      revokeModes: ['remove-labels'],
    },
  };
  readonly secrets = new Map<
    string,
    { owner?: string; tags: Record<string, string>; versions: FakeVersion[] }
  >();
  calls: string[] = [];
  failReissue = 0;
  failVerify = false;
  private seq = 0;

  constructor(instance = 'fake') {
    this.instance = instance;
  }

  seed(name: string, value: string, tags: Record<string, string> = {}): string {
    this.secrets.set(name, { tags, versions: [{ id: `v${++this.seq}`, value, enabled: true }] });
    return `${this.instance}:secret:${name}`;
  }

  addVersion(name: string, value: string): void {
    this.secret(name).versions.push({ id: `v${++this.seq}`, value, enabled: true });
  }

  live(name: string): FakeVersion[] {
    return this.secret(name).versions.filter((v) => v.enabled);
  }

  private secret(name: string) {
    const s = this.secrets.get(name);
    if (!s) throw new Error(`no secret ${name}`);
    return s;
  }

  async *inventory(): AsyncIterable<IdentityRecord> {
    for (const name of this.secrets.keys()) yield this.record(name);
  }

  private record(name: string): IdentityRecord {
    const s = this.secret(name);
    const current = [...s.versions].reverse().find((v) => v.enabled);
    return {
      ref: `${this.instance}:secret:${name}`,
      provider: 'aws',
      instance: this.instance,
      kind: 'secret',
      name,
      owners: s.tags.owner ? s.tags.owner.split(',') : [],
      state: 'enabled',
      lastUsedConfidence: 'none',
      tags: s.tags,
      ...(current ? { currentVersion: current.id } : {}),
      versions: [...s.versions]
        .reverse()
        .map((v) => ({ id: v.id, state: v.enabled ? 'enabled' : 'disabled', current: v === current })),
    };
  }

  async describe(ref: CredentialRef): Promise<IdentityRecord> {
    this.calls.push('describe');
    return this.record(ref.locator);
  }

  async revoke(ref: CredentialRef, ids: readonly string[]): Promise<RevokedVersion[]> {
    this.calls.push('revoke');
    return ids.map((id) => {
      const v = this.secret(ref.locator).versions.find((x) => x.id === id);
      if (!v) throw new Error(`no version ${id}`);
      const status = v.enabled ? 'revoked' : 'already-revoked';
      v.enabled = false;
      return { versionId: id, status, revokedAt: new Date().toISOString() };
    });
  }

  async findIssued(ref: CredentialRef, key: string): Promise<IssuedCredential | undefined> {
    const v = this.secret(ref.locator).versions.find((x) => x.key === key);
    return (
      v && {
        versionId: v.id,
        fingerprint: `fp:${v.id}`,
        issuedAt: new Date().toISOString(),
        status: 'already-issued',
      }
    );
  }

  async reissue(ref: CredentialRef, ctx: ReissueContext): Promise<IssuedCredential> {
    this.calls.push('reissue');
    const earlier = await this.findIssued(ref, ctx.idempotencyKey);
    if (earlier) return earlier;
    if (this.failReissue > 0) {
      this.failReissue--;
      const { ProviderError } = await import('../../src/lib/errors.js');
      throw new ProviderError('reissue failed (fake)', { retryable: true });
    }
    const v = { id: `v${++this.seq}`, value: `new-${this.seq}`, enabled: true, key: ctx.idempotencyKey };
    this.secret(ref.locator).versions.push(v);
    return {
      versionId: v.id,
      fingerprint: ctx.fingerprint(v.value),
      issuedAt: new Date().toISOString(),
      status: 'issued',
    };
  }

  async verify(): Promise<{ ok: boolean; detail: string }> {
    this.calls.push('verify');
    return this.failVerify ? { ok: false, detail: 'value mismatch (fake)' } : { ok: true, detail: 'ok' };
  }

  async discard(ref: CredentialRef, issued: IssuedCredential, _ctx: StepContext): Promise<void> {
    this.calls.push('discard');
    const v = this.secret(ref.locator).versions.find((x) => x.id === issued.versionId);
    if (v) v.enabled = false;
  }
}
