/**
 * What the page may offer a principal on a request: a hint for the page only. The decision
 * itself goes through recordDecision, whose refusals are the authority (and are audited).
 */
import { evaluateApprovals } from '../../approval/decisions/quorum.js';
import { runToReview } from '../../approval/decisions/retrospective-review.js';
import { type TrustedRequest, trustedRequest } from '../../approval/decisions/signed-request.js';
import type { WebContext } from '../context.js';
import { HttpError } from '../http.js';

export async function loadRequest(ctx: WebContext, id: string) {
  const row = await ctx.deps.store.requests.get(id);
  if (!row) throw new HttpError(404, `no request ${id}`);
  let request: TrustedRequest;
  try {
    request = trustedRequest(row);
  } catch (error) {
    throw new HttpError(409, (error as Error).message, 'plan-tampered');
  }
  const approvals = await ctx.deps.store.approvals.forRequest(id);
  const quorum = evaluateApprovals({
    request,
    approvals,
    now: ctx.deps.now(),
    config: ctx.deps.config,
    registry: ctx.deps.registry,
  });
  const run = await runToReview(ctx.deps.store, request);
  return { request, approvals, quorum, review: run !== undefined, executor: run?.executor };
}

export function whyCannotDecide(
  ctx: WebContext,
  principal: string,
  loaded: Awaited<ReturnType<typeof loadRequest>>,
): string | undefined {
  const { request, review, executor } = loaded;
  if (principal === request.requester) {
    return `You filed this request, so you cannot decide it (separation of duties): another owner must.`;
  }
  if (review && principal === executor)
    return 'You ran the break-glass run of this request, so you cannot review it.';
  const owners = ctx.deps.registry.registeredOwners(request.owners);
  if (!owners.includes(principal)) {
    return `You are not an owner of ${request.ref} (owners: ${owners.join(', ') || 'none registered'}), so you cannot decide it.`;
  }
  if (!review && request.status !== 'pending' && request.status !== 'approved') {
    return `This request is ${request.status}: there is nothing to decide.`;
  }
  if (!review && !(Date.parse(request.expiresAt) > ctx.deps.now().getTime())) {
    return `This request expired at ${request.expiresAt}.`;
  }
  return undefined;
}
