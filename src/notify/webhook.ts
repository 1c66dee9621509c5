import { createHmac, randomUUID } from 'node:crypto';
import type { WebhookTarget } from '../config/schema.js';
import { networkCause } from '../lib/network-cause.js';
import type { SecretValue } from '../lib/secret.js';

export const SIGNATURE_HEADER = 'x-nhi-signature';
export const TIMESTAMP_HEADER = 'x-nhi-timestamp';
export const DELIVERY_HEADER = 'x-nhi-delivery';

/**
 * Signature over `${timestamp}.${body}` so a receiver can reject replays of old bodies.
 * Header value: `sha256=<hex>`.
 */
export function signWebhookBody(secret: SecretValue, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret.reveal()).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface PostResult {
  ok: boolean;
  status?: number;
  error?: string;
  retryAfterSeconds?: number;
}

/** One HTTP attempt. Never throws; the caller decides about retries. */
export async function postWebhook(
  target: Pick<WebhookTarget, 'url' | 'secret' | 'timeoutMs'>,
  body: string,
  opts: { deliveryId?: string; now?: () => Date; fetchImpl?: typeof fetch } = {},
): Promise<PostResult> {
  const timestamp = String(Math.floor((opts.now?.() ?? new Date()).getTime() / 1000));
  const doFetch = opts.fetchImpl ?? fetch;
  try {
    const res = await doFetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signWebhookBody(target.secret, timestamp, body),
        [DELIVERY_HEADER]: opts.deliveryId ?? randomUUID(),
        'user-agent': 'nhi-reissue',
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(target.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { ok: true, status: res.status };
    const ra = res.headers.get('retry-after');
    return {
      ok: false,
      status: res.status,
      error: `HTTP ${res.status}`,
      ...(ra && Number.isFinite(Number(ra)) ? { retryAfterSeconds: Number(ra) } : {}),
    };
  } catch (error) {
    return { ok: false, error: postFailure(error) };
  }
}

/**
 * Why a POST failed, for the delivery record and `nhi findings`: Node's network facts
 * (ECONNREFUSED connect 127.0.0.1:8443), a timeout, or fetch's own reason when it is a plain
 * phrase ("bad port"). Never the message of an error that could quote the URL, whose query may
 * hold a token. (fetch throws TypeError "fetch failed" for all of these: its name said nothing.)
 */
function postFailure(error: unknown): string {
  const net = networkCause(error);
  if (net) return net.message;
  const e = error as Error & { cause?: { code?: unknown; message?: unknown } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return e.name;
  if (typeof e?.cause?.code === 'string' && /^[A-Z][A-Z0-9_]{2,40}$/.test(e.cause.code)) return e.cause.code;
  const reason = e?.cause?.message;
  if (typeof reason === 'string' && /^[a-z][a-z ]{2,40}$/.test(reason)) return `fetch failed: ${reason}`;
  return e?.name ?? 'network error';
}
