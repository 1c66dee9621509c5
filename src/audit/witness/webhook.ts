/**
 * The webhook witness: each signed checkpoint is POSTed as JSON, HMAC-signed exactly like a
 * notification (src/notify/webhook.ts), so a receiver checks X-Nhi-Signature and keeps the
 * body. For `nhi audit verify` the receiver's log is read back as JSONL: a file it writes
 * (`--witness file:PATH`) or a URL it serves (`--witness https://...`).
 */
import type { SecretValue } from '../../lib/secret.js';
import { postWebhook } from '../../notify/webhook.js';
import { parseLine } from './file.js';
import type { WitnessRecord } from './record.js';
import { errorLabel, type Witness, WitnessError, type WitnessSource } from './types.js';

export interface WebhookWitnessTarget {
  url: string;
  secret: SecretValue;
  timeoutMs: number;
}

export function webhookWitness(
  name: string,
  target: WebhookWitnessTarget,
  opts: { now?: () => Date; fetchImpl?: typeof fetch } = {},
): Witness {
  return {
    name,
    type: 'webhook',
    async deliver(record: WitnessRecord) {
      const result = await postWebhook(target, JSON.stringify(record), {
        // Stable per checkpoint: a receiver can drop a redelivery of the same one.
        deliveryId: `nhi-audit-checkpoint-${record.seq}`,
        ...(opts.now ? { now: opts.now } : {}),
        ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
      });
      // postWebhook's error is an HTTP status or a network error code, never the body or URL.
      if (!result.ok) throw new WitnessError(`webhook witness not accepted (${result.error ?? 'failed'})`);
    },
  };
}

/** GET a receiver's log: JSONL (one record per line) or a JSON array of records. */
export function urlWitnessSource(url: string, opts: { timeoutMs?: number } = {}): WitnessSource {
  return {
    label: safeUrlLabel(url),
    async *records() {
      let text: string;
      try {
        const res = await fetch(url, {
          headers: { accept: 'application/x-ndjson, application/json' },
          redirect: 'error',
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
        if (!res.ok) throw new WitnessError(`witness URL answered HTTP ${res.status}`);
        text = await res.text();
      } catch (error) {
        throw new WitnessError(`cannot read witness URL (${errorLabel(error)})`, { cause: error });
      }
      const trimmed = text.trim();
      if (trimmed.startsWith('[')) {
        const parsed = parseLine(trimmed);
        if (Array.isArray(parsed)) {
          yield* parsed;
          return;
        }
      }
      for (const line of trimmed.split('\n')) if (line.trim() !== '') yield parseLine(line);
    },
  };
}

/** Origin and path only: a query string or user:password in the URL is never printed. */
export function safeUrlLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}
