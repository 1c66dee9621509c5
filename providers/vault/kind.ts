/**
 * What each Vault kind module receives. Each kind is a `KindAdapter` (src/provider-kinds.ts);
 * index.ts composes them into the provider.
 */
import type { Logger } from 'pino';
import type { Fingerprinter } from '../../src/lib/fingerprint.js';
import type { PolicyHints } from './policies.js';
import type { VaultInstanceConfig } from './schema.js';
import type { VaultSession } from './session.js';

export type { KindAdapter } from '../../src/provider-kinds.js';

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
