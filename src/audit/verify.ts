import type { KeyObject } from 'node:crypto';
import type { AuditArea } from '../store/store.js';
import type { AuditCheckpoint, AuditEntry } from '../store/types.js';
import { checkpointPayload, entryHash, GENESIS_HASH } from './chain.js';
import { DEFAULT_CHECKPOINT_EVERY, describePoint, requiredCheckpoint } from './checkpoint-rules.js';
import { keyIdOf, verifyBytes } from './keys.js';

/** A problem, undefined when the entry's claim verifies, or null when the entry makes no claim (not counted). */
/** What verification reads: the store's audit area, or an export file (src/audit/export-source.ts). */
export type AuditSource = Pick<AuditArea, 'entries' | 'checkpointsFrom'>;

export type EntryChecker = (entry: AuditEntry) => string | undefined | null;

export interface AuditVerdict {
  ok: boolean;
  entries: number;
  checkpoints: number;
  /**
   * Entries after the last signed checkpoint: intact as a chain, but not yet covered by a
   * signature. None of them is a point that requires a checkpoint (that would fail instead).
   */
  unsignedTail: number;
  /** Entries whose content an EntryChecker re-verified (e.g. approval signatures). */
  checkedClaims: number;
  firstBad?: { seq: number; reason: string };
}

export interface VerifyOptions {
  /**
   * N of "a checkpoint at least every N entries", from config (`audit.checkpointEvery`), not
   * from the store: the rule must hold even when the checkpoints table was emptied.
   */
  checkpointEvery?: number;
}

/**
 * Recompute the whole chain and check every checkpoint signature, streaming entries and
 * checkpoints side by side (memory does not grow with the log). Detects edited, deleted,
 * inserted or reordered entries (hash / seq / prevHash break), truncation below a checkpoint
 * (checkpoint beyond the head), checkpoints signed by another key, and a checkpoint missing
 * where one is mandatory (run end, scan end, decision, refusal, every N entries) — which is
 * what an attacker who re-hashes a shortened chain and empties the checkpoints leaves behind.
 */
export async function verifyAudit(
  audit: AuditSource,
  publicKey: KeyObject,
  checkers: Readonly<Record<string, EntryChecker>> = {},
  opts: VerifyOptions = {},
): Promise<AuditVerdict> {
  const every = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const keyId = keyIdOf(publicKey);
  const cps = audit.checkpointsFrom()[Symbol.asyncIterator]();
  let nextCp: AuditCheckpoint | undefined = (await cps.next()).value ?? undefined;
  let prev: AuditEntry | undefined;
  let entries = 0;
  let checkpoints = 0;
  let checkedClaims = 0;
  let lastSigned = 0;
  const fail = (seq: number, reason: string): AuditVerdict => ({
    ok: false,
    entries,
    checkpoints,
    unsignedTail: 0,
    checkedClaims,
    firstBad: { seq, reason },
  });

  try {
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
      // The claim first: an edited, re-hashed decision is better named by its signature than by
      // the checkpoint that no longer matches it.
      const checker = checkers[entry.type];
      if (checker) {
        const problem = checker(entry);
        if (problem) return fail(entry.seq, problem);
        if (problem !== null) checkedClaims++;
      }
      // A checkpoint row whose seq has no entry (the stream skipped it) is a deleted entry,
      // which the seq check above has already named; only rows at or after this entry remain.
      while (nextCp && nextCp.seq < entry.seq) nextCp = (await cps.next()).value ?? undefined;
      if (nextCp && nextCp.seq === entry.seq) {
        const cp: AuditCheckpoint = nextCp;
        checkpoints++;
        if (cp.hash !== entry.hash)
          return fail(entry.seq, 'checkpoint hash does not match the entry it covers');
        if (cp.keyId !== keyId) return fail(entry.seq, `checkpoint signed by another key (${cp.keyId})`);
        if (!verifyBytes(publicKey, checkpointPayload(cp.seq, cp.hash), cp.signature)) {
          return fail(entry.seq, 'checkpoint signature is invalid');
        }
        lastSigned = entry.seq;
        nextCp = (await cps.next()).value ?? undefined;
      } else {
        const point = requiredCheckpoint(entry, lastSigned, every);
        if (point) {
          return fail(
            entry.seq,
            `required checkpoint missing: entry ${entry.seq} (${entry.type}) is ${describePoint(point, every)} ` +
              'and must carry a signed checkpoint (checkpoints deleted, or the chain rewritten)',
          );
        }
      }
      prev = entry;
    }
    const headSeq = prev?.seq ?? 0;
    if (nextCp)
      return fail(
        headSeq + 1,
        `log truncated: checkpoint covers seq ${nextCp.seq} but the log ends at ${headSeq}`,
      );
    return { ok: true, entries, checkpoints, unsignedTail: headSeq - lastSigned, checkedClaims };
  } finally {
    await cps.return?.();
  }
}
