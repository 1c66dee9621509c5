/**
 * Owners forget. A request still short of its quorum when it nears expiry is announced once
 * more, with the readable plan and the exact commands (`policy.remindBeforeHours`, default 4 h
 * before; 0 turns it off). `nhi serve` calls this every minute. At most one reminder per request:
 * the request row records it and the audit log keeps a `request.reminded` entry.
 */
import type { AuditLog } from '../audit/log.js';
import type { ParsedConfig } from '../config/schema.js';
import type { Notifier } from '../notify/notifier.js';
import type { Store } from '../store/store.js';
import { evaluateApprovals } from './decisions/quorum.js';
import { trustedRequest } from './decisions/signed-request.js';
import { type NotifyConfig, notifyRequestReminder } from './notifications.js';
import type { OwnerRegistry } from './owners/owner-registry.js';

export interface ReminderDeps {
  store: Store;
  audit: AuditLog;
  notifier: Notifier;
  config: NotifyConfig & Pick<ParsedConfig, 'policy' | 'owners'>;
  registry: OwnerRegistry;
}

/** Remind the owners of every pending request that expires within the window; returns their ids. */
export async function remindExpiringRequests(deps: ReminderDeps, now: Date): Promise<string[]> {
  const windowMs = deps.config.policy.remindBeforeHours * 3_600_000;
  if (windowMs <= 0) return [];
  const reminded: string[] = [];
  for (const row of await deps.store.requests.list({ status: 'pending' })) {
    const left = Date.parse(row.expiresAt) - now.getTime();
    if (row.remindedAt || !(left > 0) || left > windowMs) continue;
    let request: ReturnType<typeof trustedRequest>;
    try {
      request = trustedRequest(row);
    } catch {
      continue; // a tampered plan is not advertised to owners; status and decisions refuse it
    }
    const q = evaluateApprovals({
      request,
      approvals: await deps.store.approvals.forRequest(row.id),
      now,
      config: deps.config,
      registry: deps.registry,
    });
    if (q.met) continue;
    const quorum = { have: q.counted.length, need: q.need };
    await deps.store.transaction(async (tx) => {
      await tx.requests.update(row.id, { remindedAt: now.toISOString() });
      await deps.audit.record(tx.audit, {
        type: 'request.reminded',
        actor: 'nhi',
        subject: row.id,
        data: { ref: request.ref, planDigest: request.planDigest, expiresAt: request.expiresAt, quorum },
      });
    });
    // A failed delivery is kept and retried by the notifier like any other.
    await notifyRequestReminder(deps.notifier, deps.config, request, quorum);
    reminded.push(row.id);
  }
  return reminded;
}
