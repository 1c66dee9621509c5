import type { KeyObject } from 'node:crypto';
import type { AuditCheckpoint, AuditEntry } from '../store/types.js';
import { checkpointPayload } from './chain.js';
import { type AuditSource, checkedChain, entryOf } from './chain-check.js';
import { DEFAULT_CHECKPOINT_EVERY, describePoint, requiredCheckpoint } from './checkpoint-rules.js';
import { keyIdOf } from './keys.js';
import { defaultVerifyWorkers, VerifyPool } from './worker-pool.js';

export type { AuditSource } from './chain-check.js';

/** A problem, undefined when the entry's claim verifies, or null when the entry makes no claim (not counted). */
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
  /**
   * Worker threads for the chain's ranges and the checkpoint signatures (default: the other
   * cores, at most 4; 0: none, all on this thread).
   */
  workers?: number;
  /** Entries per range of the chain check (tests use small ones). */
  rangeSize?: number;
}

type Failure = Omit<AuditVerdict, 'ok' | 'unsignedTail'> & { firstBad: { seq: number; reason: string } };

/**
 * Recompute the whole chain and check every checkpoint signature, streaming entries and
 * checkpoints side by side (memory does not grow with the log). Detects edited, deleted,
 * inserted or reordered entries (hash / seq / prevHash break), truncation below a checkpoint
 * (checkpoint beyond the head), checkpoints signed by another key, and a checkpoint missing
 * where one is mandatory (run end, scan end, decision, refusal, every N entries) — which is
 * what an attacker who re-hashes a shortened chain and empties the checkpoints leaves behind.
 *
 * Ranges of the chain are hashed and signatures checked on worker threads while the chain is
 * read and walked (./worker-pool.ts); the verdict still names the first bad seq, with the counts
 * at that point, as one sequential pass would.
 */
export async function verifyAudit(
  audit: AuditSource,
  publicKey: KeyObject,
  checkers: Readonly<Record<string, EntryChecker>> = {},
  opts: VerifyOptions = {},
): Promise<AuditVerdict> {
  const every = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const keyId = keyIdOf(publicKey);
  // A Map, so an entry type such as "constructor" never finds a prototype member.
  const checkerOf = new Map(Object.entries(checkers));
  const signatures = new VerifyPool<Failure>(opts.workers ?? defaultVerifyWorkers(), publicKey);
  const cps = audit.checkpointsFrom()[Symbol.asyncIterator]();
  let nextCp: AuditCheckpoint | undefined = (await cps.next()).value ?? undefined;
  let entries = 0;
  let checkpoints = 0;
  let checkedClaims = 0;
  let lastSigned = 0;
  let headSeq = 0;
  let failure: Failure | undefined;
  const fail = (seq: number, reason: string): Failure => ({
    entries,
    checkpoints,
    checkedClaims,
    firstBad: { seq, reason },
  });

  try {
    const chain = checkedChain(audit, {
      pool: signatures,
      claimTypes: [...checkerOf.keys()],
      ...(opts.rangeSize ? { rangeSize: opts.rangeSize } : {}),
    });
    walk: for await (const page of chain) {
      for (let i = 0; i < page.count; i++) {
        const seq = page.first + i;
        const type = page.types[i] as string;
        entries++;
        // The claim first: an edited, re-hashed decision is better named by its signature than by
        // the checkpoint that no longer matches it.
        const checker = checkerOf.get(type);
        if (checker) {
          const entry = entryOf(page.entry(i));
          const problem = entry ? checker(entry) : 'entry is not a well-formed audit entry (edited)';
          if (problem) {
            failure = fail(seq, problem);
            break walk;
          }
          if (problem !== null) checkedClaims++;
        }
        // A checkpoint row whose seq has no entry (the stream skipped it) is a deleted entry,
        // which the seq check has already named; only rows at or after this entry remain.
        while (nextCp && nextCp.seq < seq) nextCp = (await cps.next()).value ?? undefined;
        if (nextCp && nextCp.seq === seq) {
          const cp: AuditCheckpoint = nextCp;
          checkpoints++;
          if (cp.hash !== page.hash(i)) {
            failure = fail(seq, 'checkpoint hash does not match the entry it covers');
            break walk;
          }
          if (cp.keyId !== keyId) {
            failure = fail(seq, `checkpoint signed by another key (${cp.keyId})`);
            break walk;
          }
          signatures.submit(
            cp.seq,
            checkpointPayload(cp.seq, cp.hash),
            cp.signature,
            fail(seq, 'checkpoint signature is invalid'),
          );
          lastSigned = seq;
          nextCp = (await cps.next()).value ?? undefined;
        } else {
          const point = requiredCheckpoint({ seq, type }, lastSigned, every);
          if (point) {
            failure = fail(
              seq,
              `required checkpoint missing: entry ${seq} (${type}) is ${describePoint(point, every)} ` +
                'and must carry a signed checkpoint (checkpoints deleted, or the chain rewritten)',
            );
            break walk;
          }
        }
        headSeq = seq;
      }
      if (page.bad) {
        entries++;
        failure = fail(page.bad.seq, page.bad.reason);
        break;
      }
      // A signature below here already failed: nothing further along can come first.
      if (signatures.failed) break;
      await signatures.breathe();
    }
    // Every signature submitted covers a seq below any failure found since, so it comes first.
    const badSignature = await signatures.settle();
    const first = badSignature ?? failure;
    if (first) return { ok: false, unsignedTail: 0, ...first };
    if (nextCp)
      return {
        ok: false,
        unsignedTail: 0,
        ...fail(
          headSeq + 1,
          `log truncated: checkpoint covers seq ${nextCp.seq} but the log ends at ${headSeq}`,
        ),
      };
    return { ok: true, entries, checkpoints, unsignedTail: headSeq - lastSigned, checkedClaims };
  } finally {
    await signatures.close();
    await cps.return?.();
  }
}
