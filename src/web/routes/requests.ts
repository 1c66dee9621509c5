import { randomUUID } from 'node:crypto';
import { type DecisionOutcome, recordDecision } from '../../approval/decisions/decide.js';
import { signedTierPolicy } from '../../approval/decisions/signed-request.js';
import { approvalPayload, payloadText, REVIEW_PURPOSE, requestFields } from '../../approval/signing/proof.js';
import { webauthnChallenge } from '../../approval/signing/webauthn.js';
import { PolicyError } from '../../lib/errors.js';
import { configFacts } from '../../plan-view/config-facts.js';
import { renderPlanHtml } from '../../plan-view/html.js';
import { buildPlanView } from '../../plan-view/model.js';
import type { SignedIn, WebContext } from '../context.js';
import { HttpError, readFields, sendHtml, sendJson, str } from '../http.js';
import { assertionOptions, verifyAssertion } from '../passkey-ceremony.js';
import { type InboxItem, inboxPage } from '../views/inbox.js';
import { requestPage } from '../views/request.js';
import { loadRequest, whyCannotDecide } from './decider.js';

const chrome = (x: SignedIn) => ({ principal: x.session.principal, csrfToken: x.session.csrfToken });

const activePasskeys = async (ctx: WebContext, principal: string) =>
  (await ctx.deps.store.passkeys.forPrincipal(principal)).filter(
    (p) => p.status === 'active' && p.confirmation,
  );

/** GET /inbox: the requests this principal may decide, with tier, age, expiry and quorum. */
export async function inbox(ctx: WebContext, x: SignedIn): Promise<void> {
  const me = x.session.principal;
  const items: InboxItem[] = [];
  for (const row of await ctx.deps.store.requests.list()) {
    if (!['pending', 'approved'].includes(row.status) && !row.reviewRequired) continue;
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
  sendHtml(x.res, 200, inboxPage(chrome(x), items, ctx.deps.now()));
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

function decisionLimit(ctx: WebContext, x: SignedIn): void {
  const wait = ctx.limits.decisions.take(`principal:${x.session.principal}`);
  if (wait !== undefined) {
    x.res.setHeader('Retry-After', String(wait));
    throw new HttpError(429, `too many decisions; try again in ${wait} s`);
  }
}

/**
 * POST /requests/:id/challenge: the payload to sign, bound to the plan digest the page showed.
 * A page loaded before the plan changed is refused here, and its payload could not verify anyway.
 */
export async function challenge(ctx: WebContext, x: SignedIn, id: string): Promise<void> {
  decisionLimit(ctx, x);
  const fields = await readFields(x.req);
  const decision = str(fields, 'decision');
  const shownDigest = str(fields, 'planDigest');
  if (decision !== 'approve' && decision !== 'deny')
    throw new HttpError(400, 'decision must be approve or deny');
  if (decision === 'deny' && !str(fields, 'comment')?.trim())
    throw new HttpError(400, 'a denial needs a reason');
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
  const passkeys = await activePasskeys(ctx, me);
  if (passkeys.length === 0)
    throw new HttpError(403, 'you have no confirmed passkey (see Passkeys)', 'no-passkey');
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
  const text = payloadText(payload);
  const digest = webauthnChallenge(text);
  const challengeId = randomUUID();
  x.session.challenges.set(challengeId, {
    requestId: request.id,
    decision,
    payloadText: text,
    challenge: digest,
    expiresAt: ctx.deps.now().getTime() + 5 * 60_000,
  });
  sendJson(x.res, 200, {
    challengeId,
    payload: text,
    options: await assertionOptions(ctx.rp, digest, passkeys),
  });
}

/** POST /requests/:id/decide: a single-use challenge, a verified assertion, then recordDecision. */
export async function decide(ctx: WebContext, x: SignedIn, id: string): Promise<void> {
  decisionLimit(ctx, x);
  const fields = await readFields(x.req);
  const challengeId = str(fields, 'challengeId') ?? '';
  const pending = x.session.challenges.get(challengeId);
  x.session.challenges.delete(challengeId);
  if (!pending || pending.requestId !== id || pending.expiresAt < ctx.deps.now().getTime()) {
    throw new HttpError(
      409,
      'this signing request was already used or has expired (a replayed assertion is refused): reload the page',
      'replayed',
    );
  }
  const credential = fields.credential as { id?: unknown } | undefined;
  const passkey =
    typeof credential?.id === 'string' ? await ctx.deps.store.passkeys.get(credential.id) : undefined;
  const me = x.session.principal;
  if (!passkey || passkey.principal !== me || passkey.status !== 'active') {
    throw new HttpError(403, 'this passkey is not an active passkey of yours', 'unknown-passkey');
  }
  const registered = ctx.deps.registry.principal(me);
  if (!registered) throw new HttpError(403, `${me} is no longer a registered principal`, 'unknown-principal');
  const { proof, newCounter } = await verifyAssertion(ctx.rp, credential, {
    challenge: pending.challenge,
    payloadText: pending.payloadText,
    passkey,
    registeredKeyId: registered.keyId,
  });
  await ctx.deps.store.passkeys.update(passkey.credentialId, {
    counter: newCounter,
    lastUsedAt: ctx.deps.now().toISOString(),
  });
  const comment = str(fields, 'comment')?.trim();
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
