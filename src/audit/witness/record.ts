/**
 * What a witness holds: one signed checkpoint per record, the same JSON for every witness
 * type (a JSONL line, a webhook body, an S3 object), so one reader checks them all.
 */
import type { KeyObject } from 'node:crypto';
import type { AuditCheckpoint } from '../../store/types.js';
import { checkpointPayload } from '../chain.js';
import { keyIdOf, verifyBytes } from '../keys.js';

export const WITNESS_RECORD_KIND = 'nhi-audit-checkpoint';

export interface WitnessRecord extends AuditCheckpoint {
  kind: typeof WITNESS_RECORD_KIND;
}

export function witnessRecord(checkpoint: AuditCheckpoint): WitnessRecord {
  return {
    kind: WITNESS_RECORD_KIND,
    seq: checkpoint.seq,
    hash: checkpoint.hash,
    ts: checkpoint.ts,
    keyId: checkpoint.keyId,
    signature: checkpoint.signature,
  };
}

/** The checkpoint in a witnessed record, if it is well formed and signed by `publicKey`; else why not. */
export function checkWitnessRecord(
  value: unknown,
  publicKey: KeyObject,
): { ok: true; checkpoint: AuditCheckpoint } | { ok: false; reason: string } {
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'not a JSON object' };
  const r = value as Record<string, unknown>;
  if (r.kind !== WITNESS_RECORD_KIND) return { ok: false, reason: 'not a checkpoint record' };
  if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 1)
    return { ok: false, reason: 'bad seq' };
  if (typeof r.hash !== 'string' || !/^[0-9a-f]{64}$/.test(r.hash)) return { ok: false, reason: 'bad hash' };
  if (typeof r.signature !== 'string' || typeof r.keyId !== 'string' || typeof r.ts !== 'string')
    return { ok: false, reason: 'missing signature fields' };
  if (r.keyId !== keyIdOf(publicKey)) return { ok: false, reason: 'signed by another key' };
  if (!verifyBytes(publicKey, checkpointPayload(r.seq, r.hash), r.signature))
    return { ok: false, reason: 'invalid signature' };
  return {
    ok: true,
    checkpoint: { seq: r.seq, hash: r.hash, ts: r.ts, keyId: r.keyId, signature: r.signature },
  };
}
