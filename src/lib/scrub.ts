/**
 * Remove secret values in flight from an error before it becomes a message anyone sees. A
 * provider's error text can echo the request (a Vault error quoting the body put the new
 * password into stdout, the audit log, the run error and a webhook): whatever an adapter sent
 * — the generated value, a token, a wrapped token, a secret access key — is replaced by
 * "[redacted]" in the message, the stack, the causes and the string context of the error.
 * Adapters call this at their error boundary; the executor calls it again with every value the
 * step put in flight (the last line of defence, docs/adr/043-faults-and-scrubbing.md).
 */
import { SecretValue } from './secret.js';

const REDACTED = '[redacted]';
/** Shorter inferred strings (flags, field names) would only mangle messages; secrets are longer. */
const MIN_INFERRED = 8;

export type InFlight = SecretValue | string;

/** Values an adapter collects while it sends secrets; the executor scrubs step errors with them. */
export class InFlightSecrets {
  readonly #values = new Set<string>();
  add(...values: readonly (InFlight | undefined)[]): void {
    for (const v of values) {
      const text = v instanceof SecretValue ? (v.resolved ? v.reveal() : undefined) : v;
      if (text) this.#values.add(text);
    }
  }
  values(): string[] {
    return [...this.#values];
  }
}

/** Every string leaf of a request body that is long enough to be a secret. */
export function stringsIn(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 8) return out;
  if (typeof value === 'string') {
    if (value.length >= MIN_INFERRED) out.push(value);
  } else if (value instanceof SecretValue) {
    if (value.resolved) out.push(value.reveal());
  } else if (Array.isArray(value)) {
    for (const v of value) stringsIn(v, out, depth + 1);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) stringsIn(v, out, depth + 1);
  }
  return out;
}

/** The forms a value takes when a server echoes it: raw, JSON-escaped, URL-encoded. */
function formsOf(values: readonly InFlight[]): string[] {
  const forms = new Set<string>();
  for (const v of values) {
    const text = v instanceof SecretValue ? (v.resolved ? v.reveal() : '') : v;
    if (!text) continue;
    forms.add(text);
    forms.add(JSON.stringify(text).slice(1, -1));
    forms.add(encodeURIComponent(text));
  }
  // Longest first, so a value that contains another is removed whole.
  return [...forms].filter(Boolean).sort((a, b) => b.length - a.length);
}

export function scrubText(text: string, values: readonly InFlight[]): string {
  let out = text;
  for (const form of formsOf(values)) out = out.split(form).join(REDACTED);
  return out;
}

/**
 * Scrub `error` in place (its class, code, status and retryable flag stay as they are) and
 * return it. A non-Error is turned into a scrubbed string.
 */
export function scrubError<T>(error: T, values: readonly InFlight[]): T {
  if (values.length === 0) return error;
  const forms = formsOf(values);
  if (forms.length === 0) return error;
  const seen = new Set<unknown>();
  const scrubOne = (e: unknown, depth: number): unknown => {
    if (typeof e === 'string') return scrubText(e, values);
    if (!(e instanceof Error) || seen.has(e) || depth > 8) return e;
    seen.add(e);
    const writable = e as Error & { context?: unknown };
    try {
      writable.message = scrubText(e.message, values);
      if (e.stack) writable.stack = scrubText(e.stack, values);
      if (e.cause !== undefined)
        Object.defineProperty(e, 'cause', {
          value: scrubOne(e.cause, depth + 1),
          configurable: true,
          writable: true,
        });
      if (writable.context && typeof writable.context === 'object')
        scrubContext(writable.context as Record<string, unknown>, values);
    } catch {
      // A frozen error cannot be edited: replace it with a plain one carrying the scrubbed text.
      return new Error(scrubText(e.message, values));
    }
    return e;
  };
  return scrubOne(error, 0) as T;
}

function scrubContext(context: Record<string, unknown>, values: readonly InFlight[]): void {
  for (const [k, v] of Object.entries(context)) {
    if (typeof v === 'string') context[k] = scrubText(v, values);
  }
}
