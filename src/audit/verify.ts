import type { KeyObject } from 'node:crypto';
import type { AuditArea } from '../store/store.js';
import type { AuditEntry } from '../store/types.js';
import { checkpointPayload, entryHash, GENESIS_HASH } from './chain.js';
import { keyIdOf, verifyBytes } from './keys.js';

/** Re-checks something an entry claims (e.g. an approval signature). Returns a problem or undefined. */
/** A problem, undefined when the entry's claim verifies, or null when the entry makes no claim (not counted). */
export type EntryChecker = (entry: AuditEntry) => string | undefined | null;

export interface AuditVerdict {
  ok: boolean;
  entries: number;
  checkpoints: number;
  /** Entries after the last signed checkpoint: intact as a chain, but not yet covered by a signature. */
  unsignedTail: number;
  /** Entries whose content an EntryChecker re-verified (e.g. approval signatures). */
  checkedClaims: number;
  firstBad?: { seq: number; reason: string };
}

/**
 * Recompute the whole chain and check every checkpoint signature. Detects edited,
 * deleted, inserted or reordered entries (hash / seq / prevHash break), truncation
 * below a checkpoint (checkpoint beyond the head or hash mismatch), and checkpoints
 * signed by another key.
 */
export async function verifyAudit(
  audit: AuditArea,
  publicKey: KeyObject,
  checkers: Readonly<Record<string, EntryChecker>> = {},
): Promise<AuditVerdict> {
  const keyId = keyIdOf(publicKey);
  const checkpoints = await audit.checkpoints();
  const bySeq = new Map(checkpoints.map((c) => [c.seq, c]));
  let prev: AuditEntry | undefined;
  let entries = 0;
  let checkedClaims = 0;
  const fail = (seq: number, reason: string): AuditVerdict => ({
    ok: false,
    entries,
    checkpoints: checkpoints.length,
    unsignedTail: 0,
    checkedClaims,
    firstBad: { seq, reason },
  });

  for await (const entry of audit.entries()) {
    entries++;
    const expectedSeq = (prev?.seq ?? 0) + 1;
    if (entry.seq !== expectedSeq) {
      // Name the first seq that is missing, not the survivor after it: that is where the log was cut.
      return fail(
        expectedSeq,
        `sequence gap or reorder: expected seq ${expectedSeq}, found ${entry.seq} (entry deleted?)`,
      );
    }
    const expectedPrev = prev?.hash ?? GENESIS_HASH;
    if (entry.prevHash !== expectedPrev)
      return fail(entry.seq, 'prevHash does not match the previous entry (deleted or reordered entry)');
    if (entryHash(entry) !== entry.hash)
      return fail(entry.seq, 'content does not match its hash (entry edited)');
    const cp = bySeq.get(entry.seq);
    if (cp) {
      if (cp.hash !== entry.hash)
        return fail(entry.seq, 'checkpoint hash does not match the entry it covers');
      if (cp.keyId !== keyId) return fail(entry.seq, `checkpoint signed by another key (${cp.keyId})`);
      if (!verifyBytes(publicKey, checkpointPayload(cp.seq, cp.hash), cp.signature)) {
        return fail(entry.seq, 'checkpoint signature is invalid');
      }
    }
    const checker = checkers[entry.type];
    if (checker) {
      const problem = checker(entry);
      if (problem) return fail(entry.seq, problem);
      if (problem !== null) checkedClaims++;
    }
    prev = entry;
  }
  const headSeq = prev?.seq ?? 0;
  const beyond = checkpoints.find((c) => c.seq > headSeq);
  if (beyond)
    return fail(
      headSeq + 1,
      `log truncated: checkpoint covers seq ${beyond.seq} but the log ends at ${headSeq}`,
    );
  const lastSigned = checkpoints.at(-1)?.seq ?? 0;
  return {
    ok: true,
    entries,
    checkpoints: checkpoints.length,
    unsignedTail: headSeq - lastSigned,
    checkedClaims,
  };
}
