import type { Logger } from 'pino';
import type { Fingerprinter } from '../../src/lib/fingerprint.js';
import type { CredentialKind, CredentialProvider } from '../../src/provider.js';

/**
 * What a provider's test fixture gives the shared contract suite (contract.ts). Each
 * fixture talks to its real local server (moto, Lowkey Vault, OpenBao) directly with the
 * SDK or HTTP — never through the adapter under test — to seed and inspect state.
 */
export interface ProviderFixture {
  name: string;
  /** The kind the contract exercises for revoke / reissue (the provider's main secret kind). */
  kind: CredentialKind;
  /** Called once before the suite: wipe server state the fixture owns. */
  reset(): Promise<void>;
  createProvider(deps: { logger: Logger; fingerprint: Fingerprinter }): Promise<CredentialProvider>;
  /** Create a credential of `kind` holding `value`, tagged with `owner` when given. Returns its ref. */
  seed(opts: { name: string; value: string; owner?: string }): Promise<string>;
  /** Can a client still use this version (read it through any label / auth with it)? */
  isUsable(ref: string, versionId: string): Promise<boolean>;
  /** How many live (usable) versions the credential has. */
  liveVersionCount(ref: string): Promise<number>;
  /**
   * What a finished recovery of `ref` must not have left behind (markers of an unfinished
   * call, credentials nobody received), one line each; empty when clean. For kinds whose
   * provider leaves such state (IAM: the pending-issue tag, undelivered keys).
   */
  leftovers?(ref: string): Promise<string[]>;
  /** State changes done behind the adapter's back, for state reporting tests. */
  disable?(ref: string): Promise<void>;
  enable?(ref: string): Promise<void>;
  remove?(ref: string): Promise<void>;
  restore?(ref: string): Promise<void>;
}
