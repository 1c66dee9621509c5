/**
 * `nhi approve` / `nhi deny`: check the owner may decide, sign (or accept a signed proof),
 * and record the decision, its audit entry and the request's new status in one
 * transaction. Every refusal is a PolicyError and leaves an `approval.refused` entry.
 *
 * On a request whose break-glass run has started (reviewRequired, or already reviewed), the
 * same command records the owner's **retrospective review** instead: approve endorses the
 * break-glass, deny disputes it. The signed payload then carries
 * `purpose: 'retrospective-review'`, so a review and a pre-run approval never stand in for
 * each other; the audit entry is `review.recorded`.
 *
 * The rules of each live in pre-run-decision.ts and retrospective-review.ts; the checks both
 * share (who may decide, the signed proof) in decision-checks.ts.
 */
import type { KeyObject } from 'node:crypto';
import type { AuditLog } from '../audit/log.js';
import type { ParsedConfig } from '../config/schema.js';
import { PolicyError } from '../lib/errors.js';
import type { SecretValue } from '../lib/secret.js';
import type { Notifier, NotifyOutcome } from '../notify/notifier.js';
import type { Store, StoreTx } from '../store/store.js';
import type {
  ApprovalRecord,
  Decision,
  RecoveryRequest,
  RequestStatus,
  RetrospectiveReview,
  RunRecord,
} from '../store/types.js';
import { type Refuse, toPrivateKey } from './decision-checks.js';
import { notifyDecision, notifyReview } from './notifications.js';
import { recordPreRunDecision } from './pre-run-decision.js';
import { type ApprovalProof, REVIEW_PURPOSE } from './proof.js';
import type { PolicyConfig } from './quorum.js';
import { recordRefusal } from './refusal.js';
import type { OwnerRegistry } from './registry.js';
import { recordRetrospectiveReview, runToReview } from './retrospective-review.js';

export interface DecisionDeps {
  store: Store;
  audit: AuditLog;
  config: PolicyConfig & Pick<ParsedConfig, 'notify'>;
  notifier: Notifier;
  registry: OwnerRegistry;
}

export type DecisionInput = {
  requestId: string;
  principal: string;
  decision: Decision;
  comment?: string;
  now: Date;
} & (
  | {
      /** The owner's Ed25519 private key (PEM held as a SecretValue, or a KeyObject). Used once, here. */
      privateKey: KeyObject | SecretValue;
      /** The plan digest the owner reviewed (`--digest`); defaults to the request's current digest. */
      planDigest?: string;
    }
  | {
      /** A decision signed elsewhere (later: a web page); its expiry comes from the signed payload. */
      proof: ApprovalProof;
    }
);

export interface DecisionOutcome {
  approval: ApprovalRecord;
  requestStatus: RequestStatus;
  tier: RecoveryRequest['tier'];
  /** Pre-run quorum; for a retrospective review, the break-glass run's (no approvers). */
  quorum: { have: number; need: number; approvers: string[] };
  /** Set when the decision was a retrospective review of a break-glass run. */
  review?: RetrospectiveReview;
  /** Set when this approval completed a quorum on a tier with a hold: the run may start at or after it. */
  holdUntil?: string;
  auditSeq: number;
  notified: NotifyOutcome[];
  /** A notification problem never undoes a recorded decision; it is reported here. */
  notifyError?: string;
}

/** What a decision recorded in its transaction, before anyone is notified. */
export type TxOutcome = Omit<DecisionOutcome, 'notified'> & { request: RecoveryRequest; run?: RunRecord };

export async function recordDecision(deps: DecisionDeps, input: DecisionInput): Promise<DecisionOutcome> {
  // A malformed key is a usage problem (exit 2), not a policy refusal; check it before anything else.
  const privateKey = 'privateKey' in input ? toPrivateKey(input.privateKey) : undefined;
  let result: TxOutcome;
  try {
    result = await deps.store.transaction((tx) => decideInTx(deps, tx, input, privateKey));
  } catch (error) {
    if (error instanceof PolicyError) {
      await recordRefusal(
        deps,
        error,
        {
          type: 'approval.refused',
          actor: input.principal,
          requestId: input.requestId,
          data: {
            principal: input.principal,
            decision: input.decision,
            ...(error.context.purpose === REVIEW_PURPOSE ? { purpose: REVIEW_PURPOSE } : {}),
          },
        },
        input.now,
      );
    }
    throw error;
  }
  const { request, run, ...outcome } = result;
  try {
    if (outcome.review && run) {
      const notified = await notifyReview(deps.notifier, deps.config, {
        request,
        approval: outcome.approval,
        run,
      });
      return { ...outcome, notified };
    }
    const notified = await notifyDecision(deps.notifier, deps.config, {
      request,
      approval: outcome.approval,
      quorum: outcome.quorum,
      ...(outcome.holdUntil ? { holdUntil: outcome.holdUntil } : {}),
    });
    return { ...outcome, notified };
  } catch (error) {
    return { ...outcome, notified: [], notifyError: (error as Error).message };
  }
}

/** The request decides which: a review when its break-glass run has started, else a pre-run decision. */
async function decideInTx(
  deps: DecisionDeps,
  tx: StoreTx,
  input: DecisionInput,
  privateKey: KeyObject | undefined,
): Promise<TxOutcome> {
  const { principal, requestId } = input;
  const refuse: Refuse = (rule, message) => {
    throw new PolicyError(rule, message, { context: { requestId, principal, rule } });
  };
  const request = await tx.requests.get(requestId);
  if (!request) return refuse('unknown-request', `no request ${requestId}`);
  const breakGlassRun = await runToReview(tx, request);
  if (breakGlassRun) return recordRetrospectiveReview(deps, tx, input, privateKey, request, breakGlassRun);
  return recordPreRunDecision(deps, tx, input, privateKey, request);
}
