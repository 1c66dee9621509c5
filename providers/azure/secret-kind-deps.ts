import type { Logger } from 'pino';
import type { Fingerprinter } from '../../src/lib/fingerprint.js';
import type { SecretClientLike } from './client.js';
import type { ReadCall } from './paging.js';
import type { RecordContext } from './records.js';

/** What the secret kind (./secrets.ts) and its version operations (./secret-versions.ts) are given. */
export interface SecretKindDeps extends RecordContext {
  client: SecretClientLike;
  logger: Logger;
  fingerprint: Fingerprinter;
  concurrency: number;
  read: ReadCall;
  write: ReadCall;
  now: () => Date;
}
