/**
 * The worker threads of one `nhi audit verify` (issue 17): ranges of the chain are hashed and
 * checkpoint signatures verified on the other cores while the main thread reads the store and
 * walks the chain. Jobs are queued; a worker starts only once enough is queued to pay for its
 * start-up (a small log never starts one) and is handed jobs once it has started; the main
 * thread takes queued jobs itself whenever it would otherwise wait, and at the end. Whoever
 * does a job answers the same: a worker (./worker-source.ts) runs the very range check
 * (./range-check.ts) and the same Ed25519 call as keys.ts `verifyBytes`. For signatures, what
 * is reported is the lowest seq whose signature failed, whoever checked it, so the verdict is
 * the one a sequential check gives.
 */
import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AuditRanges, HashedRange } from '../store/types.js';
import { verifyBytes } from './keys.js';
import { type Reply, WORKER_SOURCE } from './worker-source.js';

/** Signatures per message: a round trip costs about one verify, a batch ~30. */
const BATCH = 32;
/** Jobs a worker holds at once: enough to never idle, few enough for the end to balance. */
const IN_FLIGHT = 2;
/**
 * Ranges in a chain check before a worker is worth starting for it: a worker takes ~25 ms to
 * start (~30 ms of a core) and ~3 ms to stop, a range of 1,000 entries ~2-3 ms, so below this
 * the main thread is done about as soon alone.
 */
const SPAWN_RANGES = 16;

/** Workers by default: the other cores, at most 4 (the main thread reads and walks the chain). */
export function defaultVerifyWorkers(): number {
  return Math.max(0, Math.min(4, availableParallelism() - 1));
}

interface SigItem<T> {
  seq: number;
  payload: string;
  signature: string;
  context: T;
}

interface SigJob<T> {
  kind: 'sig';
  items: SigItem<T>[];
}

/** One range's check, queued or done. */
export interface RangeJob {
  readonly kind: 'range';
  /** The seqs read: [fromSeq, toSeq]. */
  readonly fromSeq: number;
  readonly toSeq: number;
  /** The seq expected first. */
  readonly first: number;
  /**
   * The range's strings, once read: all of them when read by the main thread; from the worker
   * that read it, only what the walk needs (count, types, hashes, the first prevHash) and, in
   * `claims`, the inputs of the entries a claim checker parses, by index.
   */
  range?: HashedRange;
  claims?: [number, string][];
  /** Set once checked, by whichever thread did. */
  intact?: boolean;
  /** The chain check stopped before it: nobody needs the answer. */
  dropped?: boolean;
}

type Job<T> = RangeJob | SigJob<T>;

interface Slot<T> {
  worker: Worker;
  ready: boolean;
  inFlight: Map<number, Job<T>>;
}

/** What the chain check (./chain-check.ts) asks of the pool. */
export interface RangeChecker {
  /**
   * Given before the first range: how many ranges the check has (few: no worker is started for
   * them), where workers read ranges themselves (AuditRanges.worker), if they can, and the
   * entry types a claim checker parses (whose inputs a worker hands back). Without a reader,
   * workers only check ranges read by the main thread.
   */
  prepareRanges(count: number, reader: AuditRanges['worker'], claimTypes: readonly string[]): void;
  /** Whether a range queued without its strings can be read by a worker. */
  readonly workersRead: boolean;
  queueRange(job: RangeJob): void;
  /** A queued range for this thread to do (`job` if still queued, else the newest), taken off the queue. */
  takeRange(job?: RangeJob): RangeJob | undefined;
  /** Check one queued batch of signatures on this thread; false when none was queued. */
  helpSignatures(): boolean;
  /** Resolves at the next reply or loss of a worker (at once when none is busy or starting). */
  wait(): Promise<void>;
  /** Forget the range jobs not yet checked. */
  dropRanges(): void;
  /** A turn of the event loop when a worker is busy or starting, so its messages come in. */
  breathe(): Promise<void>;
}

export class VerifyPool<T> implements RangeChecker {
  readonly #key: KeyObject | undefined;
  #maxWorkers: number;
  readonly #slots: Slot<T>[] = [];
  readonly #ranges: RangeJob[] = [];
  readonly #sigs: SigJob<T>[] = [];
  #reader: AuditRanges['worker'];
  #claimTypes: string[] = [];
  #rangesWorth = false;
  #batch: SigItem<T>[] = [];
  #nextId = 0;
  #firstBad: SigItem<T> | undefined;
  #waiter: (() => void) | undefined;

  /** `publicKey`: the key checkpoints are verified with (none: ranges only). */
  constructor(workers: number, publicKey?: KeyObject) {
    this.#key = publicKey;
    this.#maxWorkers = workers;
  }

  prepareRanges(count: number, reader: AuditRanges['worker'], claimTypes: readonly string[]): void {
    this.#rangesWorth = count >= SPAWN_RANGES;
    // Workers already started (for signatures) were given none: they only check.
    if (this.#slots.length > 0) return;
    this.#reader = reader;
    this.#claimTypes = [...claimTypes];
  }

  get workersRead(): boolean {
    return this.#reader !== undefined;
  }

  queueRange(job: RangeJob): void {
    this.#ranges.push(job);
    this.#pump();
  }

  takeRange(job?: RangeJob): RangeJob | undefined {
    const at = job ? this.#ranges.indexOf(job) : -1;
    // Otherwise the newest (the workers take the oldest).
    return at >= 0 ? this.#ranges.splice(at, 1)[0] : this.#ranges.pop();
  }

  helpSignatures(): boolean {
    const sigs = this.#sigs.shift();
    if (!sigs) return false;
    this.#checkSigsHere(sigs);
    return true;
  }

  wait(): Promise<void> {
    if (!this.#slots.some((s) => s.inFlight.size > 0 || !s.ready)) return Promise.resolve();
    return new Promise<void>((r) => {
      this.#waiter = r;
    });
  }

  dropRanges(): void {
    for (const job of this.#ranges.splice(0)) job.dropped = true;
    for (const slot of this.#slots)
      for (const job of slot.inFlight.values()) if (job.kind === 'range') job.dropped = true;
  }

  /** Some signature already failed: the caller may stop reading, the verdict is decided below it. */
  get failed(): boolean {
    return this.#firstBad !== undefined;
  }

  submit(seq: number, payload: string, signature: string, context: T): void {
    this.#batch.push({ seq, payload, signature, context });
    if (this.#batch.length < BATCH) return;
    this.#sigs.push({ kind: 'sig', items: this.#batch });
    this.#batch = [];
    this.#pump();
  }

  /**
   * Let worker replies in. The chain walk awaits only promises (microtasks), so without a turn
   * of the event loop now and then a worker that finished its jobs would wait for the end to
   * be handed more. Cheap when there is nothing in flight.
   */
  async breathe(): Promise<void> {
    if (this.#slots.some((s) => s.inFlight.size > 0 || !s.ready))
      await new Promise<void>((r) => setImmediate(r));
  }

  /** Check every signature submitted; the context of the lowest seq whose signature is invalid. */
  async settle(): Promise<T | undefined> {
    if (this.#batch.length > 0) this.#sigs.push({ kind: 'sig', items: this.#batch });
    this.#batch = [];
    for (;;) {
      const sigs = this.#sigs.shift();
      if (sigs) {
        this.#checkSigsHere(sigs);
        // Let worker replies in, so they are handed the next batch while this thread checks one.
        await new Promise<void>((r) => setImmediate(r));
      } else if (this.#slots.some((s) => s.inFlight.size > 0)) {
        // Woken by each reply, and by a lost worker whose jobs are queued again.
        await this.wait();
      } else {
        return this.#firstBad?.context;
      }
    }
  }

  async close(): Promise<void> {
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #checkSigsHere(job: SigJob<T>): void {
    for (const item of job.items)
      if (!verifyBytes(this.#key as KeyObject, item.payload, item.signature)) this.#bad(item);
  }

  #bad(item: SigItem<T>): void {
    if (!this.#firstBad || item.seq < this.#firstBad.seq) this.#firstBad = item;
  }

  #pump(): void {
    for (;;) {
      const queued = this.#ranges.length + this.#sigs.length;
      if (queued === 0) return;
      const slot = this.#slots.find((s) => s.ready && s.inFlight.size < IN_FLIGHT);
      if (!slot) {
        // Another worker when this much is queued, and more than the ones starting will take.
        const starting = this.#slots.filter((s) => !s.ready).length;
        const worth = (this.#rangesWorth && this.#ranges.length > 0) || this.#sigs.length > 0;
        if (worth && this.#slots.length < this.#maxWorkers && starting * IN_FLIGHT < queued) this.#spawn();
        return;
      }
      // Ranges first: the chain walk waits for them in order; signatures only for the verdict.
      // A range not read yet goes to a worker only if workers read.
      const at = this.#reader ? 0 : this.#ranges.findIndex((j) => j.range !== undefined);
      const job = ((at >= 0 ? this.#ranges.splice(at, 1)[0] : undefined) ?? this.#sigs.shift()) as Job<T>;
      if (!job) return;
      const id = this.#nextId++;
      slot.inFlight.set(id, job);
      if (job.kind === 'range') {
        const { fromSeq, toSeq, first, range } = job;
        slot.worker.postMessage({ kind: 'range', id, fromSeq, toSeq, first, range });
      } else
        slot.worker.postMessage({ kind: 'sig', id, items: job.items.map((i) => [i.payload, i.signature]) });
    }
  }

  #spawn(): void {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { key: this.#key, reader: this.#reader, claimTypes: this.#claimTypes },
    });
    const slot: Slot<T> = { worker, ready: false, inFlight: new Map() };
    this.#slots.push(slot);
    worker.on('message', (m: Reply) => {
      if (m.ready) {
        slot.ready = true;
      } else {
        const job = slot.inFlight.get(m.id);
        slot.inFlight.delete(m.id);
        if (job?.kind === 'range') {
          if (m.unreadable !== undefined) {
            // No worker reads from now on: this thread reads, workers check what it read.
            this.#reader = undefined;
            this.#ranges.unshift(job);
          } else {
            if (m.range) {
              job.range = m.range;
              job.claims = m.claims ?? [];
            }
            job.intact = m.ok === true;
          }
        } else if (job) for (const i of m.bad ?? []) if (job.items[i]) this.#bad(job.items[i]);
      }
      this.#pump();
      this.#wake();
    });
    // A worker that dies (resource limits, a killed thread) has its jobs done here instead: a
    // range or a signature is never counted as good without a check that said so.
    const lost = () => {
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      for (const job of slot.inFlight.values()) {
        if (job.kind === 'sig') this.#sigs.unshift(job);
        else if (!job.dropped && job.intact === undefined) this.#ranges.unshift(job);
      }
      slot.inFlight.clear();
      this.#wake();
    };
    worker.on('error', () => {
      // A worker that failed would fail again: none is started after it.
      this.#maxWorkers = 0;
      lost();
    });
    worker.on('exit', lost);
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
