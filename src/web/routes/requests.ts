import { type DecisionOutcome, recordDecision } from '../../approval/decisions/decide.js';
import { signedTierPolicy } from '../../approval/decisions/signed-request.js';
import { approvalPayload, payloadText, REVIEW_PURPOSE, requestFields } from '../../approval/signing/proof.js';
import { PolicyError } from '../../lib/errors.js';
import { configFacts } from '../../plan-view/config-facts.js';
import { renderPlanHtml } from '../../plan-view/html.js';
import { buildPlanView } from '../../plan-view/model.js';
import type { SignedIn, WebContext } from '../context.js';
import { HttpError, readFields, sendHtml, sendJson, str } from '../http.js';
import { type InboxItem, inboxPage } from '../views/inbox.js';
import { requestPage } from '../views/request.js';
import {
  activePasskeys,
  chrome,
  decisionFields,
  decisionLimit,
  requirePasskeys,
  sendChallenge,
  takeAssertion,
} from './ceremony.js';
import { loadRequest, whyCannotDecide } from './decider.js';
import { incidentInboxItems } from './incidents.js';

/**
 * GET /inbox: the requests this principal may decide, with tier, age, expiry and quorum, and
 * their incidents with their share; a request filed for an incident is listed under it.
 */
export async function inbox(ctx: WebContext, x: SignedIn): Promise<void> {
  const me = x.session.principal;
  const { items: incidents, ids: incidentIds } = await incidentInboxItems(ctx, me);
  const items: InboxItem[] = [];
  for (const row of await ctx.deps.store.requests.list()) {
    if (!['pending', 'approved'].includes(row.status) && !row.reviewRequired) continue;
    if (row.incidentId !== undefined && incidentIds.has(row.incidentId)) continue;
    let loaded: Awaited<ReturnType<typeof loadRequest>>;
    try {
      loaded = await loadRequest(ctx, row.id);
    } catch {
      continue; // a tampered row is refused on its own page, never offered here
    }
    if (whyCannotDecide(ctx, me, loaded)) continue;
    const mine = loaded.approvals.filter((a) => a.principal === me).at(-1);
    items.push({
      id: row.id,
      ref: loaded.request.ref,
      tier: loaded.request.tier,
      requester: loaded.request.requester,
      status: loaded.request.status,
      createdAt: loaded.request.createdAt,
      expiresAt: loaded.request.expiresAt,
      have: loaded.quorum.counted.length,
      need: loaded.quorum.need,
      review: loaded.review,
      ...(mine ? { decidedByMe: mine.decision } : {}),
    });
  }
  items.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
  sendHtml(x.res, 200, inboxPage(chrome(x), items, ctx.deps.now(), incidents));
}

/** GET /requests/:id: the readable plan, the decisions so far, Approve / Deny. */
export async function requestView(ctx: WebContext, x: SignedIn, id: string): Promise<void> {
  const loaded = await loadRequest(ctx, id);
  const { request } = loaded;
  const view = buildPlanView({
    plan: request.signedPlan,
    request,
    ...configFacts(ctx.deps.config, request.signedPlan),
  });
  const cannot = whyCannotDecide(ctx, x.session.principal, loaded);
  const noPasskey = !cannot && (await activePasskeys(ctx, x.session.principal)).length === 0;
  sendHtml(
    x.res,
    200,
    requestPage(chrome(x), {
      requestId: request.id,
      ref: request.ref,
      planDigest: request.planDigest,
      tier: request.tier,
      status: request.status,
      owners: ctx.deps.registry.registeredOwners(request.owners),
      planHtml: renderPlanHtml(view),
      approvals: loaded.approvals,
      quorum: loaded.quorum,
      review: loaded.review,
      ...(cannot ? { cannotDecide: cannot } : {}),
      ...(noPasskey ? { noPasskey } : {}),
    }),
  );
}

/**
 * POST /requests/:id/challenge: the payload to sign, bound to the plan digest the page showed.
 * A page loaded before the plan changed is refused here, and its payload could not verify anyway.
 */
export async function challenge(ctx: WebContext, x: SignedIn, id: string): Promise<void> {
  decisionLimit(ctx, x);
  const fields = await readFields(x.req);
  const { decision } = decisionFields(fields);
  const shownDigest = str(fields, 'planDigest');
  const loaded = await loadRequest(ctx, id);
  const { request } = loaded;
  if (shownDigest !== request.planDigest) {
    throw new HttpError(
      409,
      `the plan changed since this page was loaded (you saw ${shownDigest ?? 'no digest'}, it is now ${request.planDigest}): reload the page and review the new plan`,
      'digest-mismatch',
    );
  }
  const me = x.session.principal;
  const cannot = whyCannotDecide(ctx, me, loaded);
  if (cannot) throw new HttpError(403, cannot, 'not-allowed');
  const passkeys = await requirePasskeys(ctx, me);
  const ttlHours = signedTierPolicy(ctx.deps.config, request).approvalTtlHours;
  const expiresAt = new Date(ctx.deps.now().getTime() + ttlHours * 3_600_000).toISOString();
  const payload = approvalPayload({
    requestId: request.id,
    planDigest: shownDigest,
    decision,
    expiresAt,
    principal: me,
    ...(loaded.review ? { purpose: REVIEW_PURPOSE } : {}),
    ...requestFields(request),
  });
  await sendChallenge(
    ctx,
    x,
    { subject: `requests/${request.id}`, decision, payloadText: payloadText(payload) },
    passkeys,
  );
}

/** POST /requests/:id/decide: a single-use challenge, a verified assertion, then recordDecision. */
export async function decide(ctx: WebContext, x: SignedIn, id: string): Promise<void> {
  decisionLimit(ctx, x);
  const { proof, pending, comment } = await takeAssertion(ctx, x, `requests/${id}`);
  const me = x.session.principal;
  let outcome: DecisionOutcome;
  try {
    outcome = await recordDecision(ctx.decisionDeps, {
      requestId: id,
      principal: me,
      decision: pending.decision,
      now: ctx.deps.now(),
      proof,
      ...(comment ? { comment } : {}),
    });
  } catch (error) {
    if (error instanceof PolicyError) throw new HttpError(403, error.message, error.rule);
    throw error;
  }
  ctx.deps.logger.info(
    {
      component: 'web',
      principal: me,
      requestId: id,
      decision: pending.decision,
      status: outcome.requestStatus,
    },
    'decision recorded',
  );
  const q = outcome.quorum;
  sendJson(x.res, 200, {
    ok: true,
    status: outcome.requestStatus,
    quorum: q,
    message:
      pending.decision === 'deny'
        ? `Denied. Request ${id} is ${outcome.requestStatus}.`
        : `Approved (${q.have} of ${q.need}). Request ${id} is ${outcome.requestStatus}${outcome.holdUntil ? `; it may run at or after ${outcome.holdUntil}` : ''}.`,
    next: `/requests/${encodeURIComponent(id)}`,
  });
}
