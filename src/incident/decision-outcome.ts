/** What one owner's decision on an incident share did, request by request (decide.ts makes it; notify.ts and the callers read it). */
import type { Decision, RecoveryRequest } from '../store/types.js';

export interface IncidentDecisionOutcome {
  incidentId: string;
  decision: Decision;
  principal: string;
  /** The requests decided, with each one's status afterwards. */
  decided: {
    requestId: string;
    ref: string;
    tier: RecoveryRequest['tier'];
    status: string;
    holdUntil?: string;
  }[];
  /** Targets of this owner not in the share, and why (already decided, running, excluded...). */
  skipped: { requestId: string; ref: string; why: string }[];
  subsetRoot: string;
  expiresAt: string;
  auditSeq: number;
  /** Set when the decision was recorded but its notice could not be sent. */
  notifyError?: string;
}
