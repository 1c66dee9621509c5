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
import { PolicyError } from '../../lib/errors.js';
import { requireSignedPolicy } from '../../policy/gate.js';
import type { StoreTx } from '../../store/store.js';
import { notifyReview } from '../break-glass-notices.js';
import { notifyDecision } from '../notifications.js';
import { REVIEW_PURPOSE } from '../signing/proof.js';
import { type Refuse, toPrivateKey } from './decision-checks.js';
import type { DecisionDeps, DecisionInput, DecisionOutcome, TxOutcome } from './decision-types.js';
import { recordPreRunDecision } from './pre-run-decision.js';
import { recordRefusal } from './refusal.js';
import { recordRetrospectiveReview, runToReview } from './retrospective-review.js';
import { trustedRequest } from './signed-request.js';

export type { DecisionDeps, DecisionInput, DecisionOutcome, TxOutcome } from './decision-types.js';

export async function recordDecision(deps: DecisionDeps, input: DecisionInput): Promise<DecisionOutcome> {
  // A malformed key is a usage problem (exit 2), not a policy refusal; check it before anything else.
  const privateKey = 'privateKey' in input ? toPrivateKey(input.privateKey) : undefined;
  // Under an unsigned policy (an owner or quorum edited in) nothing is decided: exit 2, not audited as a refusal.
  deps = { ...deps, policyDigest: await requireSignedPolicy(deps) };
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
  const row = await tx.requests.get(requestId);
  if (!row) return refuse('unknown-request', `no request ${requestId}`);
  // Owners decide on the signed plan: a row whose plan no longer hashes to its digest is refused.
  const request = trustedRequest(row);
  const breakGlassRun = await runToReview(tx, request);
  if (breakGlassRun)
    return recordRetrospectiveReview(deps, tx, { input, privateKey, request, run: breakGlassRun });
  return recordPreRunDecision(deps, tx, { input, privateKey, request });
}
