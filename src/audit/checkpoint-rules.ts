/**
 * Where a signed checkpoint is mandatory. The writer (AuditLog.record) and the verifier
 * (verifyAudit) both ask this one function, so "a missing checkpoint is tampering" cannot
 * drift between them. The verifier takes N from the config, never from the store, so an
 * attacker who empties the checkpoints table cannot also relax the rule.
 *
 * Only ever ADD types here: a type added later must not occur in older logs, or their
 * verification would start failing.
 */

export const DEFAULT_CHECKPOINT_EVERY = 100;

/** The end of a run, whatever the outcome (src/runbook/executor.ts, failure.ts, the run gate). */
const RUN_ENDS = new Set(['run.completed', 'run.failed', 'run.needs-attention', 'run.refused']);
/** The end of a scan (src/scan/service.ts records `scan.<status>`). */
const SCAN_ENDS = new Set(['scan.completed', 'scan.interrupted', 'scan.failed']);
/**
 * Signed decisions: an owner's approval (or deny), a retrospective break-glass review, and the
 * control owners' adoption of a policy with the pin of who may sign the next one (src/policy/).
 */
const DECISIONS = new Set([
  'approval.recorded',
  'review.recorded',
  'policy.adopted',
  'policy.pinned',
  // A person closing an incident finding (src/scan/ack.ts): rolling the log back must not hide it.
  'finding.acknowledged',
]);

export type CheckpointPoint = 'run end' | 'scan end' | 'decision' | 'refusal' | 'interval';

/**
 * Why the entry at `seq` must carry a checkpoint at exactly that seq, or undefined when it
 * need not. `lastCheckpointSeq` is the newest checkpoint before it (0 for none): at most
 * `every` entries may go by without one, counted from the previous checkpoint, so a run of
 * decisions (each checkpointed) never forces an extra interval checkpoint, and raising N
 * later keeps older logs valid.
 */
export function requiredCheckpoint(
  entry: { seq: number; type: string },
  lastCheckpointSeq: number,
  every: number,
): CheckpointPoint | undefined {
  if (RUN_ENDS.has(entry.type)) return 'run end';
  if (SCAN_ENDS.has(entry.type)) return 'scan end';
  if (DECISIONS.has(entry.type)) return 'decision';
  // approval.refused, request.refused, run.refused (above), resume.refused: a refusal is evidence
  // that someone tried, and must not be removable by rolling the log back to before it.
  if (entry.type.endsWith('.refused')) return 'refusal';
  if (entry.seq - lastCheckpointSeq >= every) return 'interval';
  return undefined;
}

export function describePoint(point: CheckpointPoint, every: number): string {
  return point === 'interval' ? `${every} entries since the previous checkpoint` : `a ${point}`;
}
