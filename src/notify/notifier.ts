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
  /** Retry deliveries that failed earlier. */
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
      await deps.deliveries.update(record.id, {
        status: 'failed',
        lastError: 'target no longer configured',
        updatedAt: now().toISOString(),
      });
      return {
        target: record.target,
        deliveryId: record.id,
        status: 'failed',
        error: 'target no longer configured',
      };
    }
    const body = JSON.stringify(record.body);
    let attempts = record.attempts;
    let lastError = '';
    for (let i = 1; i <= target.attempts; i++) {
      attempts++;
      const result = await postWebhook(target, body, {
        deliveryId: record.id,
        now,
        ...(deps.fetchImpl ? { fetchImpl: deps.fetchImpl } : {}),
      });
      if (result.ok) {
        await deps.deliveries.update(record.id, {
          status: 'delivered',
          attempts,
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
      if (permanent || i === target.attempts) break;
      await wait(
        backoffDelayMs(
          i,
          { attempts: target.attempts, baseDelayMs: 250, maxDelayMs: 10_000 },
          result.retryAfterSeconds,
        ),
      );
    }
    await deps.deliveries.update(record.id, {
      status: 'failed',
      attempts,
      lastError,
      updatedAt: now().toISOString(),
    });
    deps.logger.warn(
      { target: record.target, event: record.event, subject: record.subject, error: lastError },
      'notification delivery failed',
    );
    return { target: record.target, deliveryId: record.id, status: 'failed', error: lastError };
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
      const failed = [
        ...(await deps.deliveries.list({ status: 'failed' })),
        ...(await deps.deliveries.list({ status: 'pending' })),
      ];
      const outcomes: NotifyOutcome[] = [];
      for (const record of failed) outcomes.push(await deliver(record));
      return outcomes;
    },
  };
}
