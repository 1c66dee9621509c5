/**
 * The seam for credential kinds (docs/adr/007). Each kind a provider serves is one `KindAdapter`;
 * `composeProvider` turns an instance's adapters into a `CredentialProvider` that checks the
 * ref's instance, looks up its kind and dispatches to the adapter with the ref's locator.
 *
 * A kind's boolean capabilities are derived from which methods its adapter has (`capabilitiesOf`),
 * so a flag cannot disagree with its method. The only declared capability is `revokeModes`, and
 * the type makes it go with `revoke`: a kind that revokes names its modes, one that does not has none.
 */
import { NotFoundError, UsageError } from './lib/errors.js';
import { formatRef } from './lib/ref.js';
import type {
  ActivityEvidence,
  CredentialKind,
  CredentialProvider,
  CredentialRef,
  DescribeOptions,
  IdentityRecord,
  IssuedCredential,
  KindCapabilities,
  ProviderCapabilities,
  ProviderType,
  ReissueContext,
  RevokedVersion,
  StepContext,
  VerifyResult,
} from './provider.js';

/** What every kind has, and the methods that stand alone. */
interface KindBase {
  /** Every credential of the kind (capability `inventory`). */
  inventory?(signal?: AbortSignal): AsyncIterable<IdentityRecord>;
  /** The full current state of one credential, including all versions. Throws NotFoundError. */
  describe(locator: string, opts?: DescribeOptions): Promise<IdentityRecord>;
  /** Delete already-unusable versions a plan's limits name (capability `makeRoom`). */
  makeRoom?(locator: string, versionIds: readonly string[], ctx: StepContext): Promise<RevokedVersion[]>;
  /** Evidence of use since a date (capability `activity`). */
  activitySince?(locator: string, since: string, versionIds: readonly string[]): Promise<ActivityEvidence[]>;
}

/** `revoke` and the modes it takes come together (capability `revoke`, `revokeModes`). */
type RevokeSide =
  | {
      /** Revoke modes the kind supports, the default first (the planner uses it when a step names none). */
      readonly revokeModes: readonly [string, ...string[]];
      revoke(locator: string, versionIds: readonly string[], ctx: StepContext): Promise<RevokedVersion[]>;
    }
  | { readonly revokeModes?: never; revoke?: never };

/**
 * `reissue` comes with `findIssued` (a resumed run asks whether it took effect; capability
 * `reissue`). The methods that take an `IssuedCredential` exist only beside them.
 */
type ReissueSide =
  | {
      reissue(locator: string, ctx: ReissueContext): Promise<IssuedCredential>;
      findIssued(locator: string, idempotencyKey: string): Promise<IssuedCredential | undefined>;
      /** Capability `verify`. */
      verify?(locator: string, issued: IssuedCredential): Promise<VerifyResult>;
      /** Make the issued version serve. Absent: writing already made it serve (promote is a no-op). */
      promote?(locator: string, issued: IssuedCredential, ctx: StepContext): Promise<void>;
      /** Remove an unverified new version (capability `discard`). */
      discard?(locator: string, issued: IssuedCredential, ctx: StepContext): Promise<void>;
    }
  | { reissue?: never; findIssued?: never; verify?: never; promote?: never; discard?: never };

/** One credential kind of one provider instance. Methods take the ref's locator. */
export type KindAdapter = KindBase & RevokeSide & ReissueSide;

const has = (method: unknown): boolean => typeof method === 'function';

/** The capability table of a kind, read off its methods. */
export function capabilitiesOf(kind: KindAdapter): KindCapabilities {
  return {
    inventory: has(kind.inventory),
    revoke: has(kind.revoke),
    reissue: has(kind.reissue) && has(kind.findIssued),
    verify: has(kind.verify),
    activity: has(kind.activitySince),
    discard: has(kind.discard),
    revokeModes: has(kind.revoke) ? (kind.revokeModes ?? []) : [],
    ...(has(kind.makeRoom) ? { makeRoom: true } : {}),
  };
}

export interface ComposeOptions {
  type: ProviderType;
  instance: string;
  /** The configured kinds, in the order inventory lists them. */
  kinds: ReadonlyMap<CredentialKind, KindAdapter>;
  /**
   * findIssued reports "not issued" when the adapter throws NotFoundError (the credential or
   * its idempotency record is gone). Vault's kinds rely on it; AWS and Azure settle it themselves.
   */
  notFoundIsNotIssued?: boolean;
  close?: () => Promise<void>;
}

type Capability = Exclude<keyof KindCapabilities, 'revokeModes'>;

/** One CredentialProvider over an instance's kind adapters. */
export function composeProvider(opts: ComposeOptions): CredentialProvider {
  const { type, instance, kinds } = opts;
  const capabilities: ProviderCapabilities = {};
  for (const [name, kind] of kinds) capabilities[name] = capabilitiesOf(kind);

  function kindOf(ref: CredentialRef): KindAdapter {
    if (ref.instance !== instance) {
      throw new UsageError(
        `ref ${formatRef(ref)} names instance ${JSON.stringify(ref.instance)}; this ${type} provider is instance ${JSON.stringify(instance)}`,
      );
    }
    const kind = kinds.get(ref.kind as CredentialKind);
    if (!kind) {
      throw new UsageError(
        `${type} instance ${instance} is not configured for kind ${JSON.stringify(ref.kind)}`,
      );
    }
    return kind;
  }

  function need<T>(method: T | undefined, ref: CredentialRef, what: string, capability: Capability): T {
    if (method === undefined) {
      throw new UsageError(`${type} kind ${ref.kind} cannot ${what} (capability "${capability}" is false)`);
    }
    return method;
  }

  const provider: CredentialProvider = {
    type,
    instance,
    capabilities,

    async *inventory(o = {}) {
      for (const kind of kinds.values()) {
        if (kind.inventory) yield* kind.inventory(o.signal);
      }
    },

    async describe(ref, o) {
      return kindOf(ref).describe(ref.locator, o);
    },

    async revoke(ref, versionIds, ctx) {
      const kind = kindOf(ref);
      return need(kind.revoke, ref, 'revoke', 'revoke').call(kind, ref.locator, versionIds, ctx);
    },

    async reissue(ref, ctx) {
      const kind = kindOf(ref);
      return need(kind.reissue, ref, 'reissue', 'reissue').call(kind, ref.locator, ctx);
    },

    async findIssued(ref, key) {
      const kind = kindOf(ref);
      const find = need(kind.findIssued, ref, 'reissue', 'reissue');
      try {
        return await find.call(kind, ref.locator, key);
      } catch (error) {
        if (opts.notFoundIsNotIssued && error instanceof NotFoundError) return undefined;
        throw error;
      }
    },

    async verify(ref, issued) {
      const kind = kindOf(ref);
      return need(kind.verify, ref, 'verify', 'verify').call(kind, ref.locator, issued);
    },
  };

  // The optional methods exist on the provider when some kind has them; a kind without one
  // then gets a UsageError (promote: a no-op). Every method reports a bad ref as a rejection.
  const some = (pick: (kind: KindAdapter) => unknown) => [...kinds.values()].some((k) => has(pick(k)));

  if (some((k) => k.promote)) {
    provider.promote = async (ref, issued, ctx) => {
      const kind = kindOf(ref);
      if (kind.promote) await kind.promote(ref.locator, issued, ctx);
    };
  }
  if (some((k) => k.discard)) {
    provider.discard = async (ref, issued, ctx) => {
      const kind = kindOf(ref);
      return need(kind.discard, ref, 'discard', 'discard').call(kind, ref.locator, issued, ctx);
    };
  }
  if (some((k) => k.makeRoom)) {
    provider.makeRoom = async (ref, versionIds, ctx) => {
      const kind = kindOf(ref);
      return need(kind.makeRoom, ref, 'make room', 'makeRoom').call(kind, ref.locator, versionIds, ctx);
    };
  }
  if (some((k) => k.activitySince)) {
    provider.activitySince = async (ref, since, versionIds) => {
      const kind = kindOf(ref);
      return need(kind.activitySince, ref, 'report activity', 'activity').call(
        kind,
        ref.locator,
        since,
        versionIds,
      );
    };
  }
  if (opts.close) provider.close = opts.close;
  return provider;
}
