/** What every rendering of an incident's status says the same way (table, Markdown, HTML). */
import type { IncidentStatus, TargetStatus } from '../status.js';
import { TARGET_STATES } from '../status.js';

/** "3 completed, 1 awaiting-approval": the non-zero states in lifecycle order. */
export function stateSummary(status: IncidentStatus): string {
  return TARGET_STATES.filter((s) => status.counts[s] > 0)
    .map((s) => `${status.counts[s]} ${s}`)
    .join(', ');
}

export function versionsText(t: TargetStatus): { before: string; after: string } {
  return {
    before: t.before.map((v) => v.versionId).join(',') || '-',
    after: t.after?.versionId ?? '-',
  };
}
