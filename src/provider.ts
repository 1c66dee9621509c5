/**
 * The CredentialProvider contract and the shared types every provider speaks.
 * Providers import only this file and src/lib. The engine never imports a provider
 * directly: it goes through src/registry.ts.
 */
import type { Logger } from 'pino';
import type { FaultPoints } from './lib/failpoint.js';
import type { Fingerprinter } from './lib/fingerprint.js';
import type { GeneratorSpec } from './lib/generator.js';
import type { CredentialRef } from './lib/ref.js';
import type { InFlightSecrets } from './lib/scrub.js';

export type { CredentialRef } from './lib/ref.js';

export type ProviderType = 'vault' | 'aws' | 'azure';
export type CredentialKind = 'kv' | 'approle' | 'token' | 'entity' | 'secret' | 'iam-key';

export const KINDS_BY_PROVIDER: { readonly [P in ProviderType]: readonly CredentialKind[] } = {
  vault: ['kv', 'approle', 'token', 'entity'],
  aws: ['secret', 'iam-key'],
  azure: ['secret'],
};

export type IdentityState = 'enabled' | 'disabled' | 'deleted';
/** How much a last-used date can be trusted: exact timestamp, day precision, weak proxy, no signal. */
export type SignalConfidence = 'exact' | 'day' | 'weak' | 'none';

export type VersionState = 'enabled' | 'disabled' | 'deleted' | 'destroyed';

/** One version of a credential (a KV version, a secret-id accessor, an access key, a secret version). */
export interface CredentialVersion {
  id: string;
  state: VersionState;
  /** Serves traffic now (AWSCURRENT, latest KV version, the only access key, ...). */
  current: boolean;
  createdAt?: string;
  /** Staging labels / aliases that point at this version. */
  labels?: string[];
  /** HMAC fingerprint of the value, when the provider lets us read it. */
  fingerprint?: string;
}

/** Provider-side evidence that an identity was switched back on (used by the re-enabled finding). */
export interface ReenableEvidence {
  at?: string;
  detail: string;
}

/** What a scan sees of one credential. Timestamps are ISO-8601 UTC strings. */
export interface IdentityRecord {
  ref: string;
  provider: ProviderType;
  instance: string;
  kind: CredentialKind;
  name: string;
  /** Owner principals read from the tag / custom-metadata keys named in config. */
  owners: string[];
  state: IdentityState;
  createdAt?: string;
  lastUsedAt?: string;
  /** Which provider signal lastUsedAt came from, e.g. "GetAccessKeyLastUsed". */
  lastUsedSignal?: string;
  lastUsedConfidence: SignalConfidence;
  lastRotatedAt?: string;
  expiresAt?: string;
  tags: Record<string, string>;
  currentVersion?: string;
  fingerprint?: string;
  /** Live and past versions, newest first. Inventory may return only the current one; describe returns all. */
  versions: CredentialVersion[];
  /** Facts that make an identity privileged by built-in rules, e.g. "policy:root", "policy:sudo", "iam:admin". */
  privilegeHints?: string[];
  reenableEvidence?: ReenableEvidence[];
  /** Provider limits a recovery of this identity must respect (describe fills them; inventory may not). */
  limits?: ProviderLimit[];
  /** Credentials minted from this one (sessions, child tokens, copies), and what recovery does about each. */
  derived?: DerivedCredential[];
  /** Multi-field secrets (Vault KV): which fields reissue regenerates and which it keeps (describe with a runbook). */
  fields?: FieldPlan;
}

/**
 * What reissue does with each field of a multi-field secret. Field names and generators only,
 * never values. The planner copies it into `plan.create.fields`; the executor hands it back to
 * the provider (`StepContext.fields`), so revoke and reissue follow what the owners signed.
 */
export interface FieldPlan {
  regenerate: { name: string; generator: GeneratorSpec }[];
  /** Non-secret fields carried over unchanged. */
  keep: string[];
}

/** What the planner tells `describe`, so the snapshot can say what this runbook would do (or refuse). */
export interface DescribeOptions {
  runbook?: {
    id: string;
    generator: GeneratorSpec;
    steps: readonly { type: string; params: Record<string, unknown> }[];
  };
}

/**
 * A provider limit that bounds what a recovery may do, e.g. IAM's 2 access keys per user. The
 * planner copies it into the plan, so owners see it and a run never discovers it after revoking.
 */
export interface ProviderLimit {
  /** Stable id, e.g. "iam.access-keys-per-user". */
  name: string;
  limit: number;
  current: number;
  /** One line for the plan, e.g. "ci-deployer holds 2 of 2 access keys (AKIA…7 Inactive, AKIA…8 Active)". */
  detail: string;
  /**
   * Already-unusable versions the runbook's `make-room` step deletes first so the recovery
   * fits the limit. Set by describe only when it was given the runbook; the owners sign it.
   */
  makeRoom?: string[];
  /** Set when this runbook would exceed the limit: what to do first. The planner refuses with it. */
  fix?: string;
}

/**
 * Something the credential minted or that holds its value: tokens logged in with an AppRole
 * secret-id, a token's children, AWS sessions from an access key, consumers' copies of a value.
 * `revoke`: the run revokes it (how is in `detail`); `out-of-reach`: nhi cannot, and says why.
 */
export interface DerivedCredential {
  kind: string;
  action: 'revoke' | 'out-of-reach';
  detail: string;
}

/** What a provider can do for one kind. The engine checks these before a run starts. */
export interface KindCapabilities {
  inventory: boolean;
  revoke: boolean;
  reissue: boolean;
  verify: boolean;
  /** Can report use of a credential since a date (review-activity, revoked-still-used). */
  activity: boolean;
  /** Can remove an unverified new version (reissue-then-revoke rollback). */
  discard: boolean;
  /** Revoke modes this kind supports (e.g. "destroy", "soft-delete", "disable"). */
  revokeModes: readonly string[];
  /** Can delete already-unusable versions named by a plan's limits (`make-room` step, method `makeRoom`). */
  makeRoom?: boolean;
}

export type ProviderCapabilities = Partial<Record<CredentialKind, KindCapabilities>>;

/** Context for one side effect. idempotencyKey is `runId:stepId`; calling twice with it must not act twice. */
export interface StepContext {
  runId: string;
  stepId: string;
  idempotencyKey: string;
  fingerprint: Fingerprinter;
  logger: Logger;
  signal?: AbortSignal;
  /** Step parameters from the runbook, validated by the step's schema (e.g. { mode: 'destroy' }). */
  params: Record<string, unknown>;
  /** The approved plan's per-field decisions (plan.create.fields), when the plan has them. */
  fields?: FieldPlan;
  /** Secret values this step sends (generated values, tokens): the executor scrubs step errors of them. */
  inFlight?: InFlightSecrets;
}

export interface ReissueContext extends StepContext {
  generator: GeneratorSpec;
}

export interface RevokedVersion {
  versionId: string;
  status: 'revoked' | 'already-revoked';
  revokedAt: string;
  fingerprint?: string;
  /** What the revoke also shut off that the credential minted (e.g. AWS sessions); copied into lineage. */
  derived?: DerivedRevocation[];
}

/** One derived-credential revocation a revoke made, e.g. the AWS deny policy on old sessions. */
export interface DerivedRevocation {
  kind: string;
  /** Provider-side name of what was written or revoked (a policy name, a token accessor). */
  name: string;
  /** Everything minted before this instant is cut off. */
  before: string;
  detail: string;
}

/** The result of a reissue. Never carries the secret value. */
export interface IssuedCredential {
  versionId: string;
  fingerprint: string;
  issuedAt: string;
  /** 'already-issued' when the idempotency key showed the call had taken effect before. */
  status: 'issued' | 'already-issued';
  /** Where the new value was delivered when it is not stored in place (wrapped token path, secret name). */
  delivery?: { kind: string; location: string };
}

export interface VerifyResult {
  ok: boolean;
  detail: string;
}

export interface ActivityEvidence {
  versionId?: string;
  signal: string;
  confidence: SignalConfidence;
  lastUsedAt?: string;
  detail?: Record<string, string>;
}

export interface CredentialProvider {
  readonly type: ProviderType;
  readonly instance: string;
  readonly capabilities: ProviderCapabilities;

  /** Every credential of the configured kinds, streamed page by page. */
  inventory(opts?: { signal?: AbortSignal }): AsyncIterable<IdentityRecord>;
  /** The full current state of one credential, including all versions. Throws NotFoundError. */
  describe(ref: CredentialRef, opts?: DescribeOptions): Promise<IdentityRecord>;
  /** Make the given versions unusable. Revoking an already-revoked version reports 'already-revoked'. */
  revoke(ref: CredentialRef, versionIds: readonly string[], ctx: StepContext): Promise<RevokedVersion[]>;
  /** Generate and write a new value; idempotent on ctx.idempotencyKey. */
  reissue(ref: CredentialRef, ctx: ReissueContext): Promise<IssuedCredential>;
  /** Did a reissue with this key already take effect? Used on resume after a crash or lost response. */
  findIssued(ref: CredentialRef, idempotencyKey: string): Promise<IssuedCredential | undefined>;
  /** Check that the issued version is live and holds the value we fingerprinted. */
  verify(ref: CredentialRef, issued: IssuedCredential): Promise<VerifyResult>;
  /** Make the issued version the one that serves (AWS: move AWSCURRENT). No-op where writing already did. */
  promote?(ref: CredentialRef, issued: IssuedCredential, ctx: StepContext): Promise<void>;
  /** Remove an unverified new version (capability `discard`). */
  discard?(ref: CredentialRef, issued: IssuedCredential, ctx: StepContext): Promise<void>;
  /** Delete already-unusable versions a plan's limits name (capability `makeRoom`). Never an enabled one. */
  makeRoom?(ref: CredentialRef, versionIds: readonly string[], ctx: StepContext): Promise<RevokedVersion[]>;
  /** Evidence of use since a date (capability `activity`). */
  activitySince?(
    ref: CredentialRef,
    since: string,
    versionIds: readonly string[],
  ): Promise<ActivityEvidence[]>;
  close?(): Promise<void>;
}

/** What every provider factory receives from the composition root. */
export interface ProviderDeps {
  logger: Logger;
  fingerprint: Fingerprinter;
  /** Tag / custom-metadata keys that name an identity's owner, in priority order. */
  ownerTagKeys: readonly string[];
  now?: () => Date;
  /** Crash-test fault points inside a provider call (e.g. between CreateAccessKey and delivery). */
  faults?: FaultPoints;
}
