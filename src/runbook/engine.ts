import type { Logger } from 'pino';
import type { AuditLog } from '../audit/log.js';
import type { Config } from '../config/load.js';
import type { FaultPoints } from '../lib/failpoint.js';
import type { Fingerprinter } from '../lib/fingerprint.js';
import type { RetryPolicy } from '../lib/retry.js';
import type { Notifier } from '../notify/notifier.js';
import type { CredentialProvider } from '../provider.js';
import type { Store } from '../store/store.js';
import type { LeaseHolder } from './leases.js';
import type { Runbook } from './schema.js';

/** What the runbook engine needs, built by the composition root (src/app.ts). */
export interface EngineDeps {
  store: Store;
  audit: AuditLog;
  config: Config;
  notifier: Notifier;
  logger: Logger;
  now: () => Date;
  provider(instance: string): Promise<CredentialProvider>;
  runbooks: Map<string, Runbook>;
  fingerprint: Fingerprinter;
  /** This process as a lease holder (run leases, identity locks). */
  leaseHolder: LeaseHolder;
  /** Run lease lifetime without a heartbeat; default RUN_LEASE_TTL_MS. */
  leaseTtlMs?: number;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  /** Crash-test fault points; built from NHI_FAILPOINT / NHI_LOSE_RESPONSE by src/app.ts only. */
  faults?: FaultPoints;
  /** The signed policy a request, run or resume is decided under (set by the policy gate). */
  policyDigest?: string;
}
