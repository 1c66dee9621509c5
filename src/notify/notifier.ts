import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { SEVERITIES, type Severity, type WebhookTarget } from '../config/schema.js';
import { own } from '../lib/own.js';
import { sleep } from '../lib/rate-limit.js';
import { backoffDelayMs } from '../lib/retry.js';
import type { DeliveryArea } from '../store/store.js';
import type { DeliveryRecord } from '../store/types.js';
import { postWebhook } from './webhook.js';

/** Something worth telling a person or a system about. Never carries a secret value. */
export interface NotifyEvent {
  /** e.g. "request.created", "request.privileged", "run.break-glass", "run.needs-attention", "finding.new". */
  event: string;
  severity: Severity;
  /** What it is about: a request id, run id or identity ref. */
  subject: string;
  summary: string;
  data?: Record<string, unknown>;
}

export interface NotifyOutcome {
  target: string;
  deliveryId: string;
  status: DeliveryRecord['status'];
  error?: string;
}

export interface Notifier {
  /** Send to the named targets (filtered by each target's events and minSeverity). Failures are recorded, not thrown. */
  notify(targets: readonly string[], event: NotifyEvent): Promise<NotifyOutcome[]>;
  /**
   * Retry the failed deliveries that are due (nextAttemptAt passed), with exponential backoff
   * between rounds, until delivered or expired (target `retry`). Called at every scan end and
   * by `nhi serve` every minute; `nhi status` only reads (docs/adr/053-scan-alerts.md).
   */
  retryFailed(): Promise<NotifyOutcome[]>;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export interface NotifierDeps {
  targets: Readonly<Record<string, WebhookTarget>>;
  deliveries: DeliveryArea;
  logger: Logger;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  fetchImpl?: typeof fetch;
  /** First retry delay of a failed delivery (tests shorten it); doubles per round. */
  retryBaseMs?: number;
}

/**
 * The webhook notifier: HMAC-signed JSON, retried with backoff, every attempt recorded
 * in the store so a delivery failure is visible (`nhi status`, `nhi findings`) and can be
 * retried — never silently dropped.
 */
export function createNotifier(deps: NotifierDeps): Notifier {
  const now = deps.now ?? (() => new Date());
  const wait = deps.sleep ?? ((ms: number) => sleep(ms));

  const deliver = async (record: DeliveryRecord): Promise<NotifyOutcome> => {
    const target = own(deps.targets, record.target);
    if (!target) {
      // Nothing to retry against: expire now rather than count down attempts that cannot happen.
      await deps.deliveries.update(record.id, {
        status: 'expired',
        nextAttemptAt: CLEARED,
        lastError: 'target no longer configured',
        updatedAt: now().toISOString(),
      });
      return {
        target: record.target,
        deliveryId: record.id,
        status: 'expired',
        error: 'target no longer configured',
      };
    }
    const body = JSON.stringify(record.body);
    let attempts = record.attempts;
    let lastError = '';
    // This round's attempts, never beyond the delivery's total budget (target.retry.maxAttempts).
    const inRound = Math.max(1, Math.min(target.attempts, target.retry.maxAttempts - attempts));
    for (let i = 1; i <= inRound; i++) {
      attempts++;
      const result = await postWebhook(target, body, {
        deliveryId: record.id,
        now,
        ...(deps.fetchImpl ? { fetchImpl: deps.fetchImpl } : {}),
      });
      if (result.ok) {
        await deps.deliveries.update(record.id, {
          status: 'delivered',
          nextAttemptAt: CLEARED,
          attempts,
          rounds: (record.rounds ?? 0) + 1,
          updatedAt: now().toISOString(),
        });
        return { target: record.target, deliveryId: record.id, status: 'delivered' };
      }
      lastError = result.error ?? 'failed';
      const permanent =
        result.status !== undefined &&
        result.status >= 400 &&
        result.status < 500 &&
        result.status !== 429 &&
        result.status !== 408;
      if (permanent || i === inRound) break;
      await wait(
        backoffDelayMs(
          i,
          { attempts: target.attempts, baseDelayMs: 250, maxDelayMs: 10_000 },
          result.retryAfterSeconds,
        ),
      );
    }
    const rounds = (record.rounds ?? 0) + 1;
    const at = now();
    const next = nextAttempt(record, target, attempts, rounds, at, deps.retryBaseMs ?? RETRY_BASE_MS);
    await deps.deliveries.update(record.id, {
      status: next ? 'failed' : 'expired',
      attempts,
      rounds,
      lastError,
      updatedAt: at.toISOString(),
      nextAttemptAt: next ?? CLEARED,
    });
    deps.logger.warn(
      {
        target: record.target,
        event: record.event,
        subject: record.subject,
        error: lastError,
        attempts,
        ...(next ? { nextAttemptAt: next } : { expired: true }),
      },
      next ? 'notification delivery failed; will retry' : 'notification delivery expired',
    );
    return {
      target: record.target,
      deliveryId: record.id,
      status: next ? 'failed' : 'expired',
      error: lastError,
    };
  };

  return {
    async notify(targets, event) {
      const outcomes: NotifyOutcome[] = [];
      for (const name of new Set(targets)) {
        const target = own(deps.targets, name);
        if (!target) continue;
        if (
          target.events.length > 0 &&
          !target.events.some((e) => event.event === e || event.event.startsWith(`${e}.`))
        )
          continue;
        if (severityRank(event.severity) < severityRank(target.minSeverity)) continue;
        const ts = now().toISOString();
        const record: DeliveryRecord = {
          id: `dlv_${randomUUID()}`,
          target: name,
          event: event.event,
          subject: event.subject,
          status: 'pending',
          attempts: 0,
          createdAt: ts,
          updatedAt: ts,
          body: {
            event: event.event,
            severity: event.severity,
            subject: event.subject,
            summary: event.summary,
            at: ts,
            data: event.data ?? {},
          },
        };
        // Recorded before the first attempt: a crash mid-delivery leaves a pending row, not nothing.
        await deps.deliveries.insert(record);
        outcomes.push(await deliver(record));
      }
      return outcomes;
    },
    async retryFailed() {
      const at = now();
      const due = [
        ...(await deps.deliveries.list({ status: 'failed' })).filter(
          // A row from before retries were scheduled has no nextAttemptAt: due now.
          (d) => !d.nextAttemptAt || Date.parse(d.nextAttemptAt) <= at.getTime(),
        ),
        // Pending long after it was queued: the process that queued it died mid-delivery.
        ...(await deps.deliveries.list({ status: 'pending' })).filter(
          (d) => at.getTime() - Date.parse(d.updatedAt) > STALE_PENDING_MS,
        ),
      ];
      const outcomes: NotifyOutcome[] = [];
      for (const record of due) outcomes.push(await deliver(record));
      return outcomes;
    },
  };
}

/**
 * DeliveryArea.update merges the patch into the row and stores JSON, where an undefined member
 * disappears: this is how a patch removes nextAttemptAt once nothing is due.
 */
const CLEARED = undefined as unknown as string;

/** The first retry waits this long; each later round doubles it, up to RETRY_MAX_DELAY_MS. */
export const RETRY_BASE_MS = 60_000;
export const RETRY_MAX_DELAY_MS = 6 * 3_600_000;
const STALE_PENDING_MS = 10 * 60_000;

/**
 * When a failed delivery is next due, or undefined when it has expired: its attempts are
 * spent, or the next round would fall after maxAgeHours from when it was queued.
 */
export function nextAttempt(
  record: Pick<DeliveryRecord, 'createdAt'>,
  target: Pick<WebhookTarget, 'retry'>,
  attempts: number,
  rounds: number,
  now: Date,
  baseMs = RETRY_BASE_MS,
): string | undefined {
  if (attempts >= target.retry.maxAttempts) return undefined;
  const delay = Math.min(RETRY_MAX_DELAY_MS, baseMs * 2 ** (rounds - 1));
  const at = now.getTime() + delay;
  if (at - Date.parse(record.createdAt) > target.retry.maxAgeHours * 3_600_000) return undefined;
  return new Date(at).toISOString();
}

/** "failed, retrying at T (attempt n)" / "expired after n attempts": for nhi status and nhi findings. */
export function deliveryState(d: Pick<DeliveryRecord, 'status' | 'attempts' | 'nextAttemptAt'>): string {
  if (d.status === 'expired') return `expired after ${d.attempts} attempt(s)`;
  if (d.status === 'failed')
    return d.nextAttemptAt
      ? `failed, retrying at ${d.nextAttemptAt} (attempt ${d.attempts + 1})`
      : `failed, retrying at the next scan or serve tick (attempt ${d.attempts + 1})`;
  return d.status;
}
