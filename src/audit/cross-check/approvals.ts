/**
 * Approval rows (pre-run decisions and retrospective reviews) against the `approval.recorded` /
 * `review.recorded` entry that names them by `data.approvalId`. The run gate re-verifies a
 * row's signature, but an auditor reading the store must be told when a row is not what was
 * recorded: the proof is compared whole, so one flipped signature byte is named.
 */
import type { ApprovalRecord, AuditEntry } from '../../store/types.js';
import {
  ClaimIndex,
  type ClaimShape,
  type IndexedClaim,
  indexClaim,
  reportDifferences,
  reportLeftovers,
} from './claims.js';
import type { CheckContext, RowKind } from './types.js';

const DECISION_TYPES = new Set(['approval.recorded', 'review.recorded']);

/** What signedDecisionFields (approval/decision-checks.ts) records, and the row's same fields. */
const shape: ClaimShape<ApprovalRecord> = {
  ofRow: (a) => ({
    requestId: a.requestId,
    principal: a.principal,
    decision: a.decision,
    planDigest: a.planDigest,
    expiresAt: a.expiresAt,
    purpose: a.purpose,
    comment: a.comment,
    proof: a.proof,
  }),
  ofEntry: (e) => ({
    requestId: e.subject,
    principal: e.data.principal,
    decision: e.data.decision,
    planDigest: e.data.planDigest,
    expiresAt: e.data.expiresAt,
    // Only a review is recorded with a purpose (retrospective-review.ts); a pre-run decision has none.
    purpose: e.data.purpose,
    comment: e.data.comment,
    proof: e.data.proof,
  }),
};

export function approvalKind(): RowKind {
  const index = new ClaimIndex<IndexedClaim>();
  return {
    kind: 'approval',
    index(entry: AuditEntry) {
      if (!DECISION_TYPES.has(entry.type)) return;
      const id = entry.data.approvalId;
      if (typeof id === 'string') index.add(id, indexClaim(shape, entry));
    },
    async checkRows(ctx: CheckContext) {
      let rows = 0;
      for await (const row of ctx.store.approvals.all()) {
        rows++;
        const recorded = index.take(row.id);
        if (!recorded) {
          ctx.report({
            kind: 'approval',
            id: row.id,
            problem: 'no approval.recorded or review.recorded entry records it',
          });
          continue;
        }
        await reportDifferences(ctx, 'approval', row.id, shape, row, recorded);
      }
      return rows;
    },
    reportMissing(ctx: CheckContext) {
      reportLeftovers(ctx, 'approval', index);
    },
  };
}
