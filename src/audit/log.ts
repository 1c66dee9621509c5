import type { KeyObject } from 'node:crypto';
import { AuditError } from '../lib/errors.js';
import type { AuditArea } from '../store/store.js';
import type { AuditEntry } from '../store/types.js';
import { type AuditEvent, checkpointPayload, nextEntry } from './chain.js';
import { keyIdOf, signBytes } from './keys.js';

export interface AuditSigner {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * Appends hash-chained entries. Always called with the transaction's audit area, so the
 * entry commits (or not) together with the state change it describes. Every
 * `checkpointEvery` entries a checkpoint over the head is signed with the audit key.
 */
export class AuditLog {
  readonly #signer: AuditSigner;
  readonly #checkpointEvery: number;
  readonly #now: () => Date;

  constructor(signer: AuditSigner, opts: { checkpointEvery?: number; now?: () => Date } = {}) {
    this.#signer = signer;
    this.#checkpointEvery = opts.checkpointEvery ?? 100;
    this.#now = opts.now ?? (() => new Date());
  }

  async record(audit: AuditArea, event: AuditEvent): Promise<AuditEntry> {
    try {
      const head = await audit.head();
      const entry = nextEntry(head, event, this.#now().toISOString());
      await audit.append(entry);
      if (entry.seq % this.#checkpointEvery === 0) await this.#sign(audit, entry);
      return entry;
    } catch (cause) {
      throw new AuditError(`could not write audit entry ${event.type} for ${event.subject}`, { cause });
    }
  }

  /** Sign a checkpoint over the current head (end of every run, end of every scan). */
  async checkpoint(audit: AuditArea): Promise<void> {
    const head = await audit.head();
    if (!head) return;
    const last = await audit.lastCheckpoint();
    if (last && last.seq >= head.seq) return;
    await this.#sign(audit, head);
  }

  async #sign(audit: AuditArea, head: AuditEntry): Promise<void> {
    await audit.addCheckpoint({
      seq: head.seq,
      hash: head.hash,
      ts: this.#now().toISOString(),
      keyId: keyIdOf(this.#signer.publicKey),
      signature: signBytes(this.#signer.privateKey, checkpointPayload(head.seq, head.hash)),
    });
  }
}
