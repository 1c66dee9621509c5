import type { AuditLog } from '../../audit/log.js';
import { AuditError, type PolicyError } from '../../lib/errors.js';
import type { Store } from '../../store/store.js';

/**
 * Record a policy refusal in its own transaction: the attempt that was refused rolled back,
 * but the attempt itself is evidence (someone tried to approve their own request). When the
 * refusal is "request-expired", the request is marked expired in the same transaction.
 */
export async function recordRefusal(
  deps: { store: Store; audit: AuditLog },
  refusal: PolicyError,
  /** `subject` defaults to the request id; a refused `nhi request` has no request yet and names the ref. */
  event: {
    type: string;
    actor: string;
    requestId?: string;
    subject?: string;
    data?: Record<string, unknown>;
  },
  now: Date,
): Promise<void> {
  try {
    await deps.store.transaction(async (tx) => {
      if (refusal.rule === 'request-expired' && event.requestId) {
        const request = await tx.requests.get(event.requestId);
        if (request && (request.status === 'pending' || request.status === 'approved')) {
          await tx.requests.update(request.id, { status: 'expired', updatedAt: now.toISOString() });
        }
      }
      await deps.audit.record(tx.audit, {
        type: event.type,
        actor: event.actor,
        subject: event.subject ?? event.requestId ?? '',
        data: {
          rule: refusal.rule,
          ...(event.requestId ? { requestId: event.requestId } : {}),
          message: refusal.message,
          ...event.data,
        },
      });
    });
  } catch (cause) {
    // Fail closed and loud: nothing was granted, but a refusal that left no trace must not pass quietly.
    throw new AuditError(`refused (${refusal.rule}) but the refusal could not be written to the audit log`, {
      cause,
      context: { rule: refusal.rule, requestId: event.requestId },
    });
  }
}
