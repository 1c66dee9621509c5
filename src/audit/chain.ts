import { canonicalJson, sha256Hex } from '../lib/canonical.js';
import type { AuditEntry } from '../store/types.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEvent {
  type: string;
  actor: string;
  subject: string;
  data?: Record<string, unknown>;
}

/** hash = SHA-256(prevHash || canonical({seq, ts, type, actor, subject, data})). */
export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  const body = canonicalJson({
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    actor: e.actor,
    subject: e.subject,
    data: e.data,
  });
  return sha256Hex(e.prevHash + body);
}

export function nextEntry(prev: AuditEntry | undefined, event: AuditEvent, ts: string): AuditEntry {
  const base = {
    seq: (prev?.seq ?? 0) + 1,
    ts,
    type: event.type,
    actor: event.actor,
    subject: event.subject,
    // Round-trip through JSON so the hashed form is exactly what the store will hold.
    data: JSON.parse(JSON.stringify(event.data ?? {})) as Record<string, unknown>,
    prevHash: prev?.hash ?? GENESIS_HASH,
  };
  return { ...base, hash: entryHash(base) };
}

/** The bytes a checkpoint signature covers. */
export function checkpointPayload(seq: number, hash: string): string {
  return canonicalJson({ kind: 'nhi-audit-checkpoint', seq, hash });
}
