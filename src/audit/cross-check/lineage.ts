/**
 * Lineage rows against their `lineage.recorded` entry, whose data is the row itself
 * (executor.ts records `{ ...lineage }` in the transaction that inserts it): the two must be
 * deep-equal. The entry's subject is the ref, so rows are matched by `data.id`.
 */
import type { LineageRecord } from '../../store/types.js';
import {
  ClaimIndex,
  type ClaimShape,
  type IndexedClaim,
  indexClaim,
  reportDifferences,
  reportLeftovers,
} from './claims.js';
import type { RowKind } from './types.js';

const shape: ClaimShape<LineageRecord> = {
  ofRow: (l) => ({ ...l }),
  ofEntry: (e) => ({ ...e.data }),
};

export function lineageKind(): RowKind {
  const index = new ClaimIndex<IndexedClaim>();
  return {
    kind: 'lineage',
    index(entry) {
      if (entry.type !== 'lineage.recorded') return;
      const id = entry.data.id;
      if (typeof id === 'string') index.add(id, indexClaim(shape, entry));
    },
    async checkRows(ctx) {
      let rows = 0;
      for await (const row of ctx.store.lineage.all()) {
        rows++;
        const recorded = index.take(row.id);
        if (!recorded) {
          ctx.report({ kind: 'lineage', id: row.id, problem: 'no lineage.recorded entry records it' });
          continue;
        }
        await reportDifferences(ctx, 'lineage', row.id, shape, row, recorded);
      }
      return rows;
    },
    reportMissing(ctx) {
      reportLeftovers(ctx, 'lineage', index);
    },
  };
}
