/**
 * Does the store's chain extend what the witness holds? For every checkpoint the witness keeps
 * (signed by the audit key), the store must still have the entry at that seq with that hash.
 * That catches what the chain alone cannot: the newest entries deleted together with their
 * checkpoints (truncation), and history rewritten and re-signed by someone holding the audit
 * key (a fork: the witness keeps the checkpoints of the history it replaced).
 */
import type { KeyObject } from 'node:crypto';
import type { AuditArea } from '../../store/store.js';
import { checkpointPayload } from '../chain.js';
import { keyIdOf, verifyBytes } from '../keys.js';
import { checkWitnessRecord } from './record.js';
import { errorLabel, type WitnessSource } from './types.js';

export type WitnessProblemKind = 'unreadable' | 'empty' | 'conflict' | 'truncated' | 'rewritten' | 'forked';

export interface WitnessVerdict {
  source: string;
  ok: boolean;
  /** Distinct checkpoints the witness holds that are signed by the audit key. */
  records: number;
  /** Records skipped: not JSON, not a checkpoint, another key, a bad signature. */
  ignored: number;
  newestWitnessedSeq?: number;
  newestStoreCheckpointSeq?: number;
  problem?: { kind: WitnessProblemKind; seq?: number; reason: string };
  /** Worth knowing, not a failure (e.g. the witness lags behind the store). */
  note?: string;
}

export async function checkAgainstWitness(
  audit: AuditArea,
  publicKey: KeyObject,
  source: WitnessSource,
): Promise<WitnessVerdict> {
  const newestStore = (await audit.lastCheckpoint())?.seq;
  const base = {
    source: source.label,
    ...(newestStore !== undefined ? { newestStoreCheckpointSeq: newestStore } : {}),
  };
  const witnessed = new Map<number, string>();
  let newestWitnessed = 0;
  let ignored = 0;
  const failed = (kind: WitnessProblemKind, reason: string, seq?: number): WitnessVerdict => ({
    ...base,
    ok: false,
    records: witnessed.size,
    ignored,
    ...(witnessed.size > 0 ? { newestWitnessedSeq: newestWitnessed } : {}),
    problem: { kind, reason, ...(seq !== undefined ? { seq } : {}) },
  });

  try {
    for await (const value of source.records()) {
      const checked = checkWitnessRecord(value, publicKey);
      if (!checked.ok) {
        ignored++;
        continue;
      }
      const { seq, hash } = checked.checkpoint;
      const earlier = witnessed.get(seq);
      if (earlier !== undefined && earlier !== hash) {
        return failed(
          'conflict',
          `the witness holds two different checkpoints signed for seq ${seq}: the audit key signed two histories (key compromised or misused)`,
          seq,
        );
      }
      witnessed.set(seq, hash);
      newestWitnessed = Math.max(newestWitnessed, seq);
    }
  } catch (error) {
    return failed('unreadable', `cannot read the witness: ${errorLabel(error)}`);
  }

  if (witnessed.size === 0) {
    if (newestStore === undefined)
      return {
        ...base,
        ok: true,
        records: 0,
        ignored,
        note: 'neither the witness nor the store holds a checkpoint yet',
      };
    return failed(
      'empty',
      `the witness holds no checkpoint signed by the audit key, but the store has checkpoints up to seq ${newestStore} (wrong witness, or nothing was ever delivered)`,
    );
  }

  const seqs = [...witnessed.keys()].sort((a, b) => a - b);
  const entries = audit.entries(seqs[0])[Symbol.asyncIterator]();
  try {
    let current = await entries.next();
    for (const seq of seqs) {
      while (!current.done && current.value.seq < seq) current = await entries.next();
      if (current.done) {
        const head = (await audit.head())?.seq ?? 0;
        return failed(
          'truncated',
          `log truncated: the witness holds a checkpoint signed at seq ${seq}, but the store ends at seq ${head} (entries deleted together with their checkpoints)`,
          seq,
        );
      }
      if (current.value.seq !== seq)
        return failed(
          'rewritten',
          `entry ${seq}, which the witness holds a checkpoint for, is missing from the store`,
          seq,
        );
      if (current.value.hash !== witnessed.get(seq)) {
        const resigned = await validStoreCheckpoint(audit, publicKey, seq, current.value.hash);
        return resigned
          ? failed(
              'forked',
              `fork: the store's checkpoint at seq ${seq} is validly signed over a different history than the witness holds — someone with the audit signing key rewrote and re-signed the log`,
              seq,
            )
          : failed(
              'rewritten',
              `entry ${seq} differs from the checkpoint the witness holds (the log was rewritten)`,
              seq,
            );
      }
    }
  } finally {
    await entries.return?.();
  }
  const lag =
    newestStore !== undefined && newestStore > newestWitnessed
      ? `the witness holds checkpoints up to seq ${newestWitnessed}, the store up to seq ${newestStore}: later entries are vouched for by the store's own checkpoints only`
      : undefined;
  return {
    ...base,
    ok: true,
    records: witnessed.size,
    ignored,
    newestWitnessedSeq: newestWitnessed,
    ...(lag ? { note: lag } : {}),
  };
}

async function validStoreCheckpoint(
  audit: AuditArea,
  publicKey: KeyObject,
  seq: number,
  hash: string,
): Promise<boolean> {
  for await (const cp of audit.checkpointsFrom(seq)) {
    return (
      cp.seq === seq &&
      cp.hash === hash &&
      cp.keyId === keyIdOf(publicKey) &&
      verifyBytes(publicKey, checkpointPayload(cp.seq, cp.hash), cp.signature)
    );
  }
  return false;
}
