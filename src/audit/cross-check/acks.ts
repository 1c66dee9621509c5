/**
 * Finding acknowledgments (`nhi findings ack`) against their `finding.acknowledged` entry,
 * whose data is exactly the ack plus the finding's id, ref and type (src/scan/ack.ts records
 * it in the transaction that writes the row). One row per element of a finding's `acks`,
 * matched by `<findingId>@<at>`. A finding shown as acknowledged with no ack at all is
 * reported too: that is how someone who can write the store would quietly close an incident.
 */
import { ackEntryData } from '../../scan/ack.js';
import type { FindingAck, FindingRecord } from '../../store/types.js';
import {
  ClaimIndex,
  type ClaimShape,
  type IndexedClaim,
  indexClaim,
  reportDifferences,
  reportLeftovers,
} from './claims.js';
import type { RowKind } from './types.js';

type AckRow = { finding: FindingRecord; ack: FindingAck };

const shape: ClaimShape<AckRow> = {
  ofRow: (r) => ackEntryData(r.finding, r.ack),
  ofEntry: (e) => ({ ...e.data }),
};

const ackId = (findingId: unknown, at: unknown) => `${String(findingId)}@${String(at)}`;

export function ackKind(): RowKind {
  const index = new ClaimIndex<IndexedClaim>();
  return {
    kind: 'ack',
    index(entry) {
      if (entry.type !== 'finding.acknowledged') return;
      index.add(ackId(entry.data.findingId, entry.data.at), indexClaim(shape, entry));
    },
    async checkRows(ctx) {
      let rows = 0;
      for await (const finding of ctx.store.findings.iterate({})) {
        const acks = finding.acks ?? [];
        if (finding.status === 'acknowledged' && acks.length === 0) {
          ctx.report({
            kind: 'ack',
            id: finding.id,
            problem: 'shown as acknowledged but records no acknowledgment',
          });
        }
        for (const ack of acks) {
          rows++;
          const id = ackId(finding.id, ack.at);
          const recorded = index.take(id);
          if (!recorded) {
            ctx.report({ kind: 'ack', id, problem: 'no finding.acknowledged entry records it' });
            continue;
          }
          await reportDifferences(ctx, 'ack', id, shape, { finding, ack }, recorded);
        }
      }
      return rows;
    },
    reportMissing(ctx) {
      reportLeftovers(ctx, 'ack', index);
    },
  };
}
