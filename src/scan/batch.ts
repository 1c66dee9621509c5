import type { Store } from '../store/store.js';
import type { FindingRecord, SnapshotRecord } from '../store/types.js';

/** Rows written between two yields to the event loop (~2-4 ms of SQLite work). */
const YIELD_EVERY = 64;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export type ScanStore = Pick<Store, 'scans' | 'findings' | 'lineage' | 'transaction'>;

/** Buffers snapshot and finding writes and commits them in one transaction per batch. */
export class BatchWriter {
  #snapshots: SnapshotRecord[] = [];
  #findings: FindingRecord[] = [];
  constructor(
    private readonly store: ScanStore,
    private readonly size: number,
  ) {}
  async add(snapshots: SnapshotRecord[], findings: FindingRecord[]): Promise<void> {
    this.#snapshots.push(...snapshots);
    this.#findings.push(...findings);
    if (this.#snapshots.length + this.#findings.length >= this.size) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.#snapshots.length === 0 && this.#findings.length === 0) return;
    const snaps = this.#snapshots;
    const finds = this.#findings;
    this.#snapshots = [];
    this.#findings = [];
    // One transaction per batch: one fsync per few hundred identities, not per row. SQLite calls
    // are synchronous, so the batch yields to the event loop every YIELD_EVERY rows: a provider
    // response arriving meanwhile is taken at once instead of after the whole batch, which
    // otherwise delays the next page request of a sequential listing by up to a batch (issue 17).
    // Each chunk is one statement on PostgreSQL (a round trip per chunk, not per row).
    await this.store.transaction(async (tx) => {
      for (let i = 0; i < snaps.length; i += YIELD_EVERY) {
        await tx.scans.putSnapshots(snaps.slice(i, i + YIELD_EVERY));
        await yieldToEventLoop();
      }
      for (let i = 0; i < finds.length; i += YIELD_EVERY) {
        await tx.findings.upsertMany(finds.slice(i, i + YIELD_EVERY));
        await yieldToEventLoop();
      }
    });
  }
}
