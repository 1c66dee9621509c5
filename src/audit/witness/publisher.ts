/**
 * Delivers signed checkpoints to the configured witnesses, only after they are committed.
 *
 * The checkpoints table is the outbox: what is pending for a witness is every committed
 * checkpoint after its `deliveredSeq` (store table audit_witnesses), so a crash or a failed
 * delivery loses nothing — the next publish (after the next commit, or when the app closes)
 * sends it. Checkpoints this process signed are also queued in memory and sent even if a forged
 * `deliveredSeq` claims they were, so editing that row can delay a witness, not silence it.
 * A queued checkpoint is sent only once the store, read outside any transaction, holds it with
 * the same signature: a rolled-back checkpoint (whose seq may be reused) never reaches a witness.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { KeyObject } from 'node:crypto';
import type { Logger } from '../../log.js';
import type { AuditArea, Store } from '../../store/store.js';
import type { AuditCheckpoint, WitnessDeliveryState } from '../../store/types.js';
import { checkWitnessRecord, witnessRecord } from './record.js';
import { errorLabel, type Witness } from './types.js';

/** Bounds one publish; the rest goes out on the next one. */
const MAX_PER_PUBLISH = 500;

export interface WitnessStatus {
  name: string;
  type: Witness['type'];
  deliveredSeq: number;
  /** Newest checkpoint in the store; above deliveredSeq means deliveries are pending. */
  newestCheckpointSeq: number;
  failures: number;
  lastError?: string;
  lastAttemptAt?: string;
  deliveredAt?: string;
}

export interface WitnessPublisher {
  readonly enabled: boolean;
  /** The AuditLog `onSigned` hook: remember a checkpoint signed in a transaction still open. */
  enqueue(checkpoint: AuditCheckpoint): void;
  readonly hasQueued: boolean;
  /** Deliver what is committed and pending. Never throws: failures are stored and logged. */
  publish(): Promise<void>;
  statuses(): Promise<WitnessStatus[]>;
}

export interface PublisherDeps {
  witnesses: readonly Witness[];
  /** The store's audit area, used outside transactions only (reads see committed rows). */
  audit: AuditArea;
  publicKey: KeyObject;
  logger: Logger;
  now: () => Date;
}

export function createWitnessPublisher(deps: PublisherDeps): WitnessPublisher {
  let queue: AuditCheckpoint[] = [];
  let running: Promise<void> = Promise.resolve();

  const checkpointAt = async (seq: number): Promise<AuditCheckpoint | undefined> => {
    for await (const cp of deps.audit.checkpointsFrom(seq)) return cp.seq === seq ? cp : undefined;
    return undefined;
  };

  /** The stored progress, or undefined when there is none or it is not a sane row (edited by hand?). */
  const loadState = async (name: string): Promise<WitnessDeliveryState | undefined> => {
    const state = await deps.audit.witnessState(name).catch(() => undefined);
    if (!state || !Number.isSafeInteger(state.deliveredSeq) || state.deliveredSeq < 0) return undefined;
    return { ...state, name, failures: Number.isSafeInteger(state.failures) ? state.failures : 0 };
  };

  const deliverTo = async (witness: Witness, newest: AuditCheckpoint, confirmed: AuditCheckpoint[]) => {
    // A witness added later starts at the newest checkpoint: through the hash chain that one
    // vouches for everything before it, and a backfill of years of checkpoints is not needed.
    const state: WitnessDeliveryState = (await loadState(witness.name)) ?? {
      name: witness.name,
      deliveredSeq: newest.seq - 1,
      failures: 0,
    };
    const bySeq = new Map<number, AuditCheckpoint>();
    for await (const cp of deps.audit.checkpointsFrom(state.deliveredSeq + 1)) {
      bySeq.set(cp.seq, cp);
      if (bySeq.size >= MAX_PER_PUBLISH) break;
    }
    for (const cp of confirmed) bySeq.set(cp.seq, cp);
    if (bySeq.size === 0) return;
    const at = deps.now().toISOString();
    for (const cp of [...bySeq.values()].sort((a, b) => a.seq - b.seq)) {
      // Only what our key signed: a row forged into the store must not be laundered into a witness.
      if (!checkWitnessRecord(witnessRecord(cp), deps.publicKey).ok) {
        deps.logger.warn({ witness: witness.name, seq: cp.seq }, 'skipped a checkpoint with a bad signature');
        continue;
      }
      try {
        await witness.deliver(witnessRecord(cp));
      } catch (error) {
        state.failures += 1;
        state.lastError = errorLabel(error);
        state.lastAttemptAt = at;
        deps.logger.warn(
          { witness: witness.name, type: witness.type, seq: cp.seq, error: state.lastError },
          'audit checkpoint not delivered to witness; kept in the store and retried on the next publish',
        );
        break;
      }
      state.deliveredSeq = Math.max(state.deliveredSeq, cp.seq);
      state.deliveredAt = at;
      state.lastAttemptAt = at;
      state.failures = 0;
      delete state.lastError;
    }
    await deps.audit.putWitnessState(state);
  };

  const publishOnce = async () => {
    const queued = queue;
    queue = [];
    const newest = await deps.audit.lastCheckpoint();
    if (!newest) return;
    const confirmed: AuditCheckpoint[] = [];
    for (const q of queued) {
      const stored = await checkpointAt(q.seq);
      if (stored && stored.signature === q.signature && stored.hash === q.hash) confirmed.push(stored);
    }
    for (const witness of deps.witnesses) {
      try {
        await deliverTo(witness, newest, confirmed);
      } catch (error) {
        // A store failure while recording progress: the checkpoint stays pending in the store.
        deps.logger.warn({ witness: witness.name, error: errorLabel(error) }, 'witness publish failed');
      }
    }
  };

  return {
    enabled: deps.witnesses.length > 0,
    enqueue(checkpoint) {
      if (deps.witnesses.length > 0) queue.push(checkpoint);
    },
    get hasQueued() {
      return queue.length > 0;
    },
    publish() {
      if (deps.witnesses.length === 0) return Promise.resolve();
      // One publish at a time in this process, so two commits do not send the same checkpoint twice.
      running = running.then(publishOnce).catch((error: unknown) => {
        deps.logger.warn({ error: errorLabel(error) }, 'witness publish failed');
      });
      return running;
    },
    async statuses() {
      const newest = (await deps.audit.lastCheckpoint())?.seq ?? 0;
      const out: WitnessStatus[] = [];
      for (const w of deps.witnesses) {
        const s = await loadState(w.name);
        out.push({
          name: w.name,
          type: w.type,
          deliveredSeq: s?.deliveredSeq ?? 0,
          newestCheckpointSeq: newest,
          failures: s?.failures ?? 0,
          ...(s?.lastError ? { lastError: s.lastError } : {}),
          ...(s?.lastAttemptAt ? { lastAttemptAt: s.lastAttemptAt } : {}),
          ...(s?.deliveredAt ? { deliveredAt: s.deliveredAt } : {}),
        });
      }
      return out;
    },
  };
}

/**
 * The store with one change: after the outermost transaction settles (commit or rollback),
 * queued checkpoints are published. Nested calls join the outer transaction, so only the
 * outermost one may publish — publishing from inside would read its uncommitted rows.
 */
export function publishAfterCommit(store: Store, publisher: WitnessPublisher): Store {
  const outer = new AsyncLocalStorage<true>();
  return {
    ...store,
    async transaction(fn) {
      if (outer.getStore()) return store.transaction(fn);
      try {
        return await outer.run(true, () => store.transaction(fn));
      } finally {
        if (publisher.hasQueued) await publisher.publish();
      }
    },
  };
}
