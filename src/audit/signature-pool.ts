/**
 * Checkpoint signatures of one `nhi audit verify`, checked on other cores while the main thread
 * walks the chain (issue 17: one Ed25519 verify per checkpoint was as much CPU as hashing the
 * whole log). Signatures are queued in batches; worker threads start only once a full batch is
 * waiting, so a small log never starts one, and at the end the main thread takes queued batches
 * itself while the workers finish theirs. What is reported is the lowest seq whose signature
 * failed, whoever checked it, so the verdict is the one a sequential check gives.
 */
import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { verifyBytes } from './keys.js';

/** Signatures per message: a round trip costs about one verify, a batch ~30. */
const BATCH = 32;
/** Batches a worker holds at once: enough to never idle, few enough for the end to balance. */
const IN_FLIGHT = 2;

/**
 * The worker's code, inline (no file to find next to a bundled or compiled CLI). It makes the
 * same call as keys.ts `verifyBytes`, so a signature is judged the same on either thread.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { verify } = require('node:crypto');
const key = workerData.key;
parentPort.on('message', ({ id, items }) => {
  const bad = [];
  for (let i = 0; i < items.length; i++) {
    let ok = false;
    try {
      ok = verify(null, Buffer.from(items[i][0], 'utf8'), key, Buffer.from(items[i][1], 'base64'));
    } catch {}
    if (!ok) bad.push(i);
  }
  parentPort.postMessage({ id, bad });
});
`;

/** Workers for signatures by default: the other cores, at most 4 (the main thread walks the chain). */
export function defaultSignatureWorkers(): number {
  return Math.max(0, Math.min(4, availableParallelism() - 1));
}

interface Item<T> {
  seq: number;
  payload: string;
  signature: string;
  context: T;
}

interface Slot<T> {
  worker: Worker;
  inFlight: Map<number, Item<T>[]>;
}

export class SignaturePool<T> {
  readonly #key: KeyObject;
  readonly #maxWorkers: number;
  readonly #slots: Slot<T>[] = [];
  readonly #queue: Item<T>[][] = [];
  #batch: Item<T>[] = [];
  #nextId = 0;
  #firstBad: Item<T> | undefined;
  #idle: (() => void) | undefined;

  constructor(publicKey: KeyObject, workers: number) {
    this.#key = publicKey;
    this.#maxWorkers = workers;
  }

  /** Some signature already failed: the caller may stop reading, the verdict is decided below it. */
  get failed(): boolean {
    return this.#firstBad !== undefined;
  }

  submit(seq: number, payload: string, signature: string, context: T): void {
    this.#batch.push({ seq, payload, signature, context });
    if (this.#batch.length < BATCH) return;
    this.#queue.push(this.#batch);
    this.#batch = [];
    this.#pump();
  }

  /**
   * Let worker replies in. The chain walk awaits only promises (microtasks), so without a turn
   * of the event loop now and then a worker that finished its batches would wait for the end
   * to be handed more. Cheap when there is nothing in flight.
   */
  async breathe(): Promise<void> {
    if (this.#slots.some((s) => s.inFlight.size > 0)) await new Promise<void>((r) => setImmediate(r));
  }

  /** Check everything submitted; the context of the lowest seq whose signature is invalid. */
  async settle(): Promise<T | undefined> {
    if (this.#batch.length > 0) this.#queue.push(this.#batch);
    this.#batch = [];
    for (;;) {
      const batch = this.#queue.shift();
      if (batch) {
        this.#checkHere(batch);
        // Let worker replies in, so they are handed the next batch while this thread checks one.
        await new Promise<void>((r) => setImmediate(r));
      } else if (this.#slots.some((s) => s.inFlight.size > 0)) {
        // Woken by each reply, and by a lost worker whose batches are queued again.
        await new Promise<void>((r) => {
          this.#idle = r;
        });
      } else {
        return this.#firstBad?.context;
      }
    }
  }

  async close(): Promise<void> {
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #checkHere(batch: readonly Item<T>[]): void {
    for (const item of batch) if (!verifyBytes(this.#key, item.payload, item.signature)) this.#bad(item);
  }

  #bad(item: Item<T>): void {
    if (!this.#firstBad || item.seq < this.#firstBad.seq) this.#firstBad = item;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.inFlight.size < IN_FLIGHT);
      if (!slot && this.#slots.length < this.#maxWorkers) slot = this.#spawn();
      if (!slot) return;
      const batch = this.#queue.shift() as Item<T>[];
      const id = this.#nextId++;
      slot.inFlight.set(id, batch);
      slot.worker.postMessage({ id, items: batch.map((i) => [i.payload, i.signature]) });
    }
  }

  #spawn(): Slot<T> {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { key: this.#key } });
    const slot: Slot<T> = { worker, inFlight: new Map() };
    this.#slots.push(slot);
    worker.on('message', ({ id, bad }: { id: number; bad: number[] }) => {
      const batch = slot.inFlight.get(id);
      slot.inFlight.delete(id);
      for (const i of bad) if (batch?.[i]) this.#bad(batch[i]);
      this.#pump();
      this.#wake();
    });
    // A worker that dies (resource limits, a killed thread) has its batches checked here
    // instead: a signature is never counted as good without a verify that said so.
    const lost = () => {
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      for (const batch of slot.inFlight.values()) this.#queue.unshift(batch);
      slot.inFlight.clear();
      this.#wake();
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    return slot;
  }

  #wake(): void {
    const idle = this.#idle;
    this.#idle = undefined;
    idle?.();
  }
}
