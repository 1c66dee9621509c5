/** What each Vault kind module implements; index.ts dispatches refs to them. */
import type { Logger } from 'pino';
import type { Fingerprinter } from '../../src/lib/fingerprint.js';
import type {
  DescribeOptions,
  IdentityRecord,
  IssuedCredential,
  KindCapabilities,
  ReissueContext,
  RevokedVersion,
  StepContext,
  VerifyResult,
} from '../../src/provider.js';
import type { PolicyHints } from './policies.js';
import type { VaultInstanceConfig } from './schema.js';
import type { VaultSession } from './session.js';

export interface VaultKindContext {
  instance: string;
  config: VaultInstanceConfig;
  session: VaultSession;
  policies: PolicyHints;
  logger: Logger;
  fingerprint: Fingerprinter;
  ownerTagKeys: readonly string[];
  concurrency: number;
  now: () => Date;
}

export interface VaultKind {
  readonly capabilities: KindCapabilities;
  inventory(signal?: AbortSignal): AsyncIterable<IdentityRecord>;
  describe(locator: string, opts?: DescribeOptions): Promise<IdentityRecord>;
  revoke?(locator: string, versionIds: readonly string[], ctx: StepContext): Promise<RevokedVersion[]>;
  reissue?(locator: string, ctx: ReissueContext): Promise<IssuedCredential>;
  findIssued?(locator: string, idempotencyKey: string): Promise<IssuedCredential | undefined>;
  verify?(locator: string, issued: IssuedCredential): Promise<VerifyResult>;
  discard?(locator: string, issued: IssuedCredential, ctx: StepContext): Promise<void>;
}

export const SCAN_ONLY: KindCapabilities = {
  inventory: true,
  revoke: false,
  reissue: false,
  verify: false,
  activity: false,
  discard: false,
  revokeModes: [],
};
