import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret held in memory. It prints, serialises and inspects as "[redacted]", so
 * passing one to a logger, an error message or JSON.stringify cannot leak it.
 * `reveal()` is the single, greppable place where the value is read.
 *
 * A SecretValue parsed from config starts as a reference (`env:NAME`, `file:PATH`) and
 * is resolved by the config loader; `source` (the reference text) is safe to show.
 */
export class SecretValue {
  #value: string | undefined;
  readonly source: string | undefined;

  constructor(value: string | undefined, source?: string) {
    this.#value = value;
    this.source = source;
  }

  static reference(source: string): SecretValue {
    return new SecretValue(undefined, source);
  }

  get resolved(): boolean {
    return this.#value !== undefined;
  }

  /** Used once by the config loader. */
  resolveWith(value: string): void {
    this.#value = value;
  }

  reveal(): string {
    if (this.#value === undefined) throw new Error(`secret ${this.source ?? ''} was never resolved`);
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return this.source ?? REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
