/**
 * One run per identity, one executor per run. A run lease (`run:<id>`) is held by the process
 * executing the run and renewed by a heartbeat; `nhi resume` of a run whose lease is live is
 * refused with who holds it and until when. An identity lock (`identity:<ref>`) is taken when a
 * run starts — before its drift check — and held until the run ends, so a second run on the same
 * identity is refused with the first run's id. Every side effect's intent is committed only
 * while this process still holds the run lease (fencing): a process that lost its lease stops.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ConflictError, PolicyError } from '../lib/errors.js';
import type { StoreTx } from '../store/store.js';
import type { LeaseRecord, RunStatus } from '../store/types.js';

/** Who this process is, as a lease holder. Built once by the composition root. */
export interface LeaseHolder {
  id: string;
  host: string;
  pid: number;
}

/** How long a run lease stands without a heartbeat; the heartbeat renews it every third of that. */
export const RUN_LEASE_TTL_MS = 30_000;

export function processLeaseHolder(): LeaseHolder {
  const host = hostname();
  return { id: `${host}:${process.pid}:${randomUUID().slice(0, 8)}`, host, pid: process.pid };
}

/** A run that still owns its identity: it may have revoked something and must be finished first. */
const HOLDS_IDENTITY: ReadonlySet<RunStatus> = new Set(['running', 'needs-attention']);

const runLeaseName = (runId: string) => `run:${runId}`;
const identityLockName = (ref: string) => `identity:${ref}`;

/**
 * Is the lease still held? Past its expiry it is not; before it, a holder on this host whose
 * process is gone (kill -9) has let go too, so a crashed run resumes at once rather than after
 * the lease times out. A holder on another host is believed until expiry.
 */
export function leaseIsLive(lease: LeaseRecord, now: Date, self: LeaseHolder): boolean {
  if (lease.expiresAt !== null && !(Date.parse(lease.expiresAt) > now.getTime())) return false;
  if (lease.host === self.host && lease.pid !== self.pid && !processAlive(lease.pid)) return false;
  return true;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lease this process holds (and owns): who it is, from `self`; the rest as given. */
export function heldBy(
  self: LeaseHolder,
  lease: Pick<LeaseRecord, 'name' | 'runId' | 'token' | 'acquiredAt' | 'expiresAt'>,
): LeaseRecord {
  return { ...lease, owner: self.id, holder: self.id, host: self.host, pid: self.pid };
}

/** Take (or take over) the run lease; refused while another live process holds it. */
export async function takeRunLease(
  tx: Pick<StoreTx, 'leases'>,
  self: LeaseHolder,
  runId: string,
  now: Date,
  ttlMs: number = RUN_LEASE_TTL_MS,
): Promise<LeaseRecord> {
  const name = runLeaseName(runId);
  const existing = await tx.leases.get(name);
  if (existing && existing.owner !== self.id && leaseIsLive(existing, now, self)) {
    throw new PolicyError(
      'run-in-progress',
      `run ${runId} is being executed by ${existing.holder} (lease until ${existing.expiresAt}); ` +
        `let it finish (nhi status ${runId}), or resume it after the lease has expired`,
      { context: { runId, rule: 'run-in-progress', holder: existing.holder, until: existing.expiresAt } },
    );
  }
  const lease = heldBy(self, {
    name,
    runId,
    token: (existing?.token ?? 0) + 1,
    acquiredAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
  });
  await tx.leases.put(lease);
  return lease;
}

/** Extend the run lease; a ConflictError when this process no longer holds it (fencing). */
export async function renewRunLease(
  tx: Pick<StoreTx, 'leases'>,
  self: LeaseHolder,
  runId: string,
  now: Date,
  ttlMs: number = RUN_LEASE_TTL_MS,
): Promise<void> {
  const existing = await tx.leases.get(runLeaseName(runId));
  if (!existing || existing.owner !== self.id) {
    throw new ConflictError(
      `this process lost its lease on run ${runId}${existing ? ` to ${existing.holder}` : ''}; it stops before any further side effect`,
    );
  }
  await tx.leases.put({ ...existing, expiresAt: new Date(now.getTime() + ttlMs).toISOString() });
}

export async function releaseRunLease(
  tx: Pick<StoreTx, 'leases'>,
  self: LeaseHolder,
  runId: string,
): Promise<void> {
  await tx.leases.release(runLeaseName(runId), self.id);
}

/**
 * Claim the identity for this run. Refused while another run of the same identity is running
 * or needs attention (it may have revoked the credential already: finish that one first).
 */
export async function claimIdentity(
  tx: Pick<StoreTx, 'leases' | 'runs'>,
  self: LeaseHolder,
  ref: string,
  runId: string,
  now: Date,
): Promise<void> {
  const name = identityLockName(ref);
  const existing = await tx.leases.get(name);
  if (existing && existing.runId !== runId) {
    const other = await tx.runs.get(existing.runId);
    if (other && HOLDS_IDENTITY.has(other.status)) {
      const executing = other.status === 'running' && (await liveRunLease(tx, self, other.id, now));
      throw new PolicyError(
        'identity-busy',
        `${ref} is already being recovered by run ${other.id} (${executing ? 'running' : other.status === 'running' ? 'interrupted' : other.status}, request ${other.requestId}); ` +
          `one run per identity at a time — ${executing ? `let it finish (nhi status ${other.id})` : `finish it with nhi resume ${other.id}`}`,
        { context: { ref, rule: 'identity-busy', runId: other.id } },
      );
    }
  }
  await tx.leases.put({
    name,
    owner: runId,
    holder: self.id,
    host: self.host,
    pid: self.pid,
    runId,
    token: (existing?.token ?? 0) + 1,
    acquiredAt: now.toISOString(),
    expiresAt: null,
  });
}

/** The run ended (completed, failed before any revoke, refused): the identity is free again. */
export async function releaseIdentity(
  tx: Pick<StoreTx, 'leases'>,
  ref: string,
  runId: string,
): Promise<void> {
  await tx.leases.release(identityLockName(ref), runId);
}

/** The run lease as `nhi status` shows it, or undefined when nobody holds it now. */
export async function liveRunLease(
  store: Pick<StoreTx, 'leases'>,
  self: LeaseHolder,
  runId: string,
  now: Date,
): Promise<LeaseRecord | undefined> {
  const lease = await store.leases.get(runLeaseName(runId));
  return lease && leaseIsLive(lease, now, self) ? lease : undefined;
}

/** Keeps a run lease alive while the run executes; `stop` ends it and releases the lease. */
export interface Heartbeat {
  stop(): Promise<void>;
}

export function startHeartbeat(
  deps: {
    store: { transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> };
    leaseHolder: LeaseHolder;
    leaseTtlMs?: number;
    now: () => Date;
    logger: { warn(obj: object, msg: string): void };
  },
  runId: string,
): Heartbeat {
  const ttl = deps.leaseTtlMs ?? RUN_LEASE_TTL_MS;
  let beating: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      beating = deps.store
        .transaction((tx) => renewRunLease(tx, deps.leaseHolder, runId, deps.now(), ttl))
        // A missed beat is not fatal by itself: the next side effect's fencing check decides.
        .catch((error: unknown) =>
          deps.logger.warn({ runId, error: (error as Error).message }, 'run lease heartbeat failed'),
        );
    },
    Math.max(50, Math.floor(ttl / 3)),
  );
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await beating;
      await deps.store
        .transaction((tx) => releaseRunLease(tx, deps.leaseHolder, runId))
        .catch((error: unknown) =>
          deps.logger.warn({ runId, error: (error as Error).message }, 'could not release the run lease'),
        );
    },
  };
}

/** At a run's end: a run that needs attention keeps its identity (resume it); any other end frees it. */
export async function releaseIdentityAtEnd(
  tx: Pick<StoreTx, 'leases'>,
  ref: string,
  runId: string,
  status: RunStatus,
): Promise<void> {
  if (status !== 'needs-attention' && status !== 'running') await releaseIdentity(tx, ref, runId);
}
