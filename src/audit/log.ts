import type { KeyObject } from 'node:crypto';
import { AuditError } from '../lib/errors.js';
import type { AuditArea } from '../store/store.js';
import type { AuditCheckpoint, AuditEntry } from '../store/types.js';
import { type AuditEvent, checkpointPayload, nextEntry } from './chain.js';
import { DEFAULT_CHECKPOINT_EVERY, requiredCheckpoint } from './checkpoint-rules.js';
import { keyIdOf, signBytes } from './keys.js';

export interface AuditSigner {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface AuditLogOptions {
  /** At most this many entries between two checkpoints (config `audit.checkpointEvery`). */
  checkpointEvery?: number;
  now?: () => Date;
  /**
   * Told about every checkpoint signed, before its transaction commits. The witness publisher
   * queues it and delivers it only once it is confirmed committed (src/audit/witness/publisher.ts).
   */
  onSigned?: (checkpoint: AuditCheckpoint) => void;
}

/**
 * Appends hash-chained entries. Always called with the transaction's audit area, so the
 * entry commits (or not) together with the state change it describes. A checkpoint over
 * the entry is signed in the same call — hence the same transaction — wherever one is
 * mandatory (src/audit/checkpoint-rules.ts: run ends, scan ends, decisions, refusals and
 * every `checkpointEvery` entries), so a writer cannot forget it.
 */
export class AuditLog {
  readonly #signer: AuditSigner;
  readonly #checkpointEvery: number;
  readonly #now: () => Date;
  readonly #onSigned: ((checkpoint: AuditCheckpoint) => void) | undefined;

  constructor(signer: AuditSigner, opts: AuditLogOptions = {}) {
    this.#signer = signer;
    this.#checkpointEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
    this.#now = opts.now ?? (() => new Date());
    this.#onSigned = opts.onSigned;
  }

  get checkpointEvery(): number {
    return this.#checkpointEvery;
  }

  /** The key checkpoints are verified with. */
  get publicKey(): KeyObject {
    return this.#signer.publicKey;
  }

  async record(audit: AuditArea, event: AuditEvent): Promise<AuditEntry> {
    try {
      const head = await audit.head();
      const entry = nextEntry(head, event, this.#now().toISOString());
      await audit.append(entry);
      const lastSigned = (await audit.lastCheckpoint())?.seq ?? 0;
      if (requiredCheckpoint(entry, lastSigned, this.#checkpointEvery)) await this.#sign(audit, entry);
      return entry;
    } catch (cause) {
      throw new AuditError(`could not write audit entry ${event.type} for ${event.subject}`, { cause });
    }
  }

  /** Sign a checkpoint over the current head, unless it is already signed. */
  async checkpoint(audit: AuditArea): Promise<void> {
    const head = await audit.head();
    if (!head) return;
    const last = await audit.lastCheckpoint();
    if (last && last.seq >= head.seq) return;
    await this.#sign(audit, head);
  }

  async #sign(audit: AuditArea, head: AuditEntry): Promise<void> {
    const checkpoint: AuditCheckpoint = {
      seq: head.seq,
      hash: head.hash,
      ts: this.#now().toISOString(),
      keyId: keyIdOf(this.#signer.publicKey),
      signature: signBytes(this.#signer.privateKey, checkpointPayload(head.seq, head.hash)),
    };
    await audit.addCheckpoint(checkpoint);
    this.#onSigned?.(checkpoint);
  }
}
