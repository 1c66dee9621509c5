import type { Store } from '../store/store.js';
import type { FindingRecord, SnapshotRecord } from '../store/types.js';

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
    // One transaction per batch: one fsync per few hundred identities, not per row.
    await this.store.transaction(async (tx) => {
      for (const s of snaps) await tx.scans.putSnapshot(s);
      for (const f of finds) await tx.findings.upsert(f);
    });
  }
}
