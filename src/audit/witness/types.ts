import type { WitnessRecord } from './record.js';

/** Somewhere outside the state store that keeps every signed checkpoint it is given. */
export interface Witness {
  /** Config `audit.witnesses[].name`. */
  name: string;
  type: 'file' | 'webhook' | 's3';
  /** Deliver one record; throws a WitnessError (redacted reason) when it did not arrive. */
  deliver(record: WitnessRecord): Promise<void>;
}

/** A witness as `nhi audit verify --witness SOURCE` reads it back. */
export interface WitnessSource {
  /** What the user passed, safe to print (never carries a credential). */
  label: string;
  /** Every record the witness holds, parsed JSON (undefined for a line that is not JSON). */
  records(): AsyncIterable<unknown>;
}

/**
 * A delivery or read failure. The message is built from an error name, a Node error code or an
 * HTTP status only, so it can be stored and logged without leaking a body, URL or credential.
 */
export class WitnessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WitnessError';
  }
}

/** The safe label of any error: its code or name, nothing it says. */
export function errorLabel(error: unknown): string {
  if (error instanceof WitnessError) return error.message;
  const e = error as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return typeof e?.name === 'string' ? e.name : 'error';
}
