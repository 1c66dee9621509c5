/**
 * One leader among the `nhi serve` instances on one store (docs/adr/061-shared-service.md).
 * The leader holds the lease `serve:leader` (expiry + fencing token) and renews it every
 * RENEW_MS; the others try to take it on the same beat and stand by while it is live. A leader
 * killed with SIGKILL stops renewing: its lease lapses after LEADER_TTL_MS and a standby takes
 * over on its next try (on the same host at once, since a dead pid holds nothing). A leader whose
 * renewal finds the lease taken (it was paused past the expiry) is deposed and stops scheduling
 * before it scans again; every tick is also claimed under the leader's token (claimTick), so
 * even an instance that has not yet noticed its deposition cannot scan a tick twice.
 */
import type { Logger } from 'pino';
import { heldBy, type LeaseHolder, leaseIsLive } from '../runbook/leases.js';
import type { Store, StoreTx } from '../store/store.js';
import type { LeaseRecord } from '../store/types.js';

export const LEADER_LEASE = 'serve:leader';
/** A killed leader is replaced within TTL + RENEW (12 s), inside issue 14's 15 s. */
export const LEADER_TTL_MS = 10_000;
export const RENEW_MS = 2_000;

export type Role = 'leader' | 'standby';

export interface LeadershipDeps {
  store: Pick<Store, 'transaction'>;
  self: LeaseHolder;
  now: () => Date;
  logger: Logger;
  onElected: (token: number) => void | Promise<void>;
  onDeposed: () => void | Promise<void>;
  ttlMs?: number;
  renewMs?: number;
}

/** Take or renew the leader lease in one transaction; the lease held afterwards, if it is ours. */
export async function tryLead(
  tx: Pick<StoreTx, 'leases'>,
  self: LeaseHolder,
  now: Date,
  ttlMs: number,
): Promise<LeaseRecord | undefined> {
  const existing = await tx.leases.get(LEADER_LEASE);
  if (existing && existing.owner !== self.id && leaseIsLive(existing, now, self)) return undefined;
  const mine = existing?.owner === self.id;
  const lease = heldBy(self, {
    name: LEADER_LEASE,
    runId: '',
    // A new holder gets a new token; renewing keeps it.
    token: mine ? existing.token : (existing?.token ?? 0) + 1,
    acquiredAt: mine ? existing.acquiredAt : now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
  });
  await tx.leases.put(lease);
  return lease;
}

/** Is `token` still the live leader's? For fencing writes that only the leader may make. */
export async function holdsLeadership(
  tx: Pick<StoreTx, 'leases'>,
  self: LeaseHolder,
  token: number,
  now: Date,
): Promise<boolean> {
  const lease = await tx.leases.get(LEADER_LEASE);
  return (
    !!lease &&
    lease.owner === self.id &&
    lease.token === token &&
    lease.expiresAt !== null &&
    Date.parse(lease.expiresAt) > now.getTime()
  );
}

export class Leadership {
  readonly #deps: LeadershipDeps;
  #timer: NodeJS.Timeout | undefined;
  #token: number | undefined;
  #beat: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(deps: LeadershipDeps) {
    this.#deps = deps;
  }

  get role(): Role {
    return this.#token === undefined ? 'standby' : 'leader';
  }

  get token(): number | undefined {
    return this.#token;
  }

  /** Try at once, then on every beat until stop(). */
  start(): Promise<void> {
    this.#beat = this.#tick();
    this.#timer = setInterval(() => {
      this.#beat = this.#beat.then(() => this.#tick());
    }, this.#deps.renewMs ?? RENEW_MS);
    return this.#beat;
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const { store, self, now, logger } = this.#deps;
    let lease: LeaseRecord | undefined;
    try {
      lease = await store.transaction((tx) => tryLead(tx, self, now(), this.#deps.ttlMs ?? LEADER_TTL_MS));
    } catch (error) {
      // The store is unreachable: a leader cannot prove it still leads, so it stops scheduling.
      logger.warn({ err: String(error) }, 'leader lease: store unreachable');
      lease = undefined;
    }
    if (this.#stopped) return;
    if (lease && this.#token === undefined) {
      this.#token = lease.token;
      logger.info({ token: lease.token, holder: self.id }, 'elected leader: running the schedules');
      await this.#deps.onElected(lease.token);
    } else if (!lease && this.#token !== undefined) {
      this.#token = undefined;
      logger.warn({ holder: self.id }, 'lost the leader lease: standing by');
      await this.#deps.onDeposed();
    }
  }

  /** Stop trying; a leader releases the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#beat.catch(() => undefined);
    if (this.#token !== undefined) {
      this.#token = undefined;
      await this.#deps.onDeposed();
      await this.#deps.store
        .transaction((tx) => tx.leases.release(LEADER_LEASE, this.#deps.self.id))
        .catch((error) =>
          this.#deps.logger.warn({ err: String(error) }, 'could not release the leader lease'),
        );
    }
  }
}
