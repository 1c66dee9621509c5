/**
 * An owner's share of an incident on the approval page: every target they own that awaits
 * their decision, each with its readable plan, decided with ONE passkey signature over the
 * share's `nhi-incident-approval` payload (src/approval/signing/incident-proof.ts). The share,
 * its payload and every check are the engine's (src/incident/share.ts, decideIncident): the
 * page only shows them and carries the assertion back.
 */
import type { TrustedRequest } from '../../approval/decisions/signed-request.js';
import { incidentPayloadText } from '../../approval/signing/incident-proof.js';
import { decideIncident, type IncidentDecisionOutcome } from '../../incident/decide.js';
import { trustedIncident } from '../../incident/document.js';
import { type OwnerShare, ownerShare, requireShare, sealShare } from '../../incident/share.js';
import { incidentStatus } from '../../incident/status.js';
import { NotFoundError, PolicyError } from '../../lib/errors.js';
import { configFacts } from '../../plan-view/config-facts.js';
import { renderPlanHtml } from '../../plan-view/html.js';
import { buildPlanView } from '../../plan-view/model.js';
import type { SignedIn, WebContext } from '../context.js';
import { HttpError, readFields, sendHtml, sendJson, str } from '../http.js';
import type { IncidentInboxItem } from '../views/inbox.js';
import { incidentPage, type ShareTarget } from '../views/incident.js';
import {
  activePasskeys,
  chrome,
  decisionFields,
  decisionLimit,
  requirePasskeys,
  sendChallenge,
  takeAssertion,
} from './ceremony.js';
import { loadRequest } from './decider.js';

/** States in which a target still concerns its owner (it waits, or runs). */
const OPEN = new Set(['awaiting-approval', 'on-hold', 'approved', 'running']);

/** An engine refusal as the page's HTTP refusal: a changed share or digest means "reload". */
function asHttp(error: unknown): never {
  if (error instanceof NotFoundError) throw new HttpError(404, error.message);
  if (error instanceof PolicyError) {
    const stale = ['digest-mismatch', 'share-changed'].includes(error.rule);
    const tampered = error.rule === 'incident-tampered' || error.rule === 'plan-tampered';
    throw new HttpError(stale || tampered ? 409 : 403, error.message, error.rule);
  }
  throw error;
}

async function shareOf(ctx: WebContext, me: string, id: string, expectDigest?: string): Promise<OwnerShare> {
  try {
    return await ownerShare(ctx.decisionDeps, ctx.deps.store, {
      incidentId: id,
      principal: me,
      decision: 'decide',
      now: ctx.deps.now(),
      ...(expectDigest !== undefined ? { expectDigest } : {}),
    });
  } catch (error) {
    return asHttp(error);
  }
}

/**
 * The inbox's incidents: those where this principal owns a target still open or to decide,
 * with their share. `ids` holds every incident, so their requests are listed under them only.
 */
export async function incidentInboxItems(
  ctx: WebContext,
  me: string,
): Promise<{ items: IncidentInboxItem[]; ids: Set<string> }> {
  const rows = await ctx.deps.store.incidents.list();
  const items: IncidentInboxItem[] = [];
  for (const row of rows) {
    let s: OwnerShare;
    let states: Map<string, string>;
    try {
      s = await shareOf(ctx, me, row.id);
      states = new Map((await incidentStatus(ctx.deps, row.id)).targets.map((t) => [t.requestId, t.state]));
    } catch {
      continue; // the requester, or a tampered incident (refused on its own page)
    }
    const owned = [...s.share.map((r) => ({ requestId: r.id, ref: r.ref })), ...s.skipped];
    if (owned.length === 0) continue;
    const counts: Record<string, number> = {};
    for (const o of owned) {
      const state = states.get(o.requestId) ?? 'unknown';
      counts[state] = (counts[state] ?? 0) + 1;
    }
    if (s.share.length === 0 && !Object.keys(counts).some((k) => OPEN.has(k))) continue;
    const tiers = new Map(s.incident.document.targets.map((t) => [t.ref, t.tier]));
    items.push({
      id: row.id,
      reason: s.incident.reason,
      requester: s.incident.requester,
      createdAt: s.incident.createdAt,
      expiresAt: s.incident.expiresAt,
      owned: owned.length,
      toDecide: s.share.length,
      privileged: owned.filter((o) => tiers.get(o.ref) === 'privileged').length,
      counts,
    });
  }
  items.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
  return { items, ids: new Set(rows.map((r) => r.id)) };
}

async function shareTarget(ctx: WebContext, request: TrustedRequest): Promise<ShareTarget> {
  const { quorum } = await loadRequest(ctx, request.id);
  const view = buildPlanView({
    plan: request.signedPlan,
    request,
    ...configFacts(ctx.deps.config, request.signedPlan),
  });
  return {
    requestId: request.id,
    ref: request.ref,
    tier: request.tier,
    status: request.status,
    planDigest: request.planDigest,
    quorum: { have: quorum.counted.length, need: quorum.need },
    planHtml: renderPlanHtml(view),
  };
}

/** GET /incidents/:id: the incident, this owner's share with every plan, what is not in it and why. */
export async function incidentView(ctx: WebContext, x: SignedIn, id: string): Promise<void> {
  const me = x.session.principal;
  const row = await ctx.deps.store.incidents.get(id);
  if (!row) throw new HttpError(404, `no incident ${id}`);
  let incident: ReturnType<typeof trustedIncident>;
  try {
    incident = trustedIncident(row);
  } catch (error) {
    return asHttp(error);
  }
  const s = me === incident.requester ? undefined : await shareOf(ctx, me, id);
  const targets = await Promise.all((s?.share ?? []).map((r) => shareTarget(ctx, r)));
  const mine = (s?.share.length ?? 0) + (s?.skipped.length ?? 0);
  const cannot = !s
    ? `You filed this incident, so you cannot decide any of it (separation of duties): its owners must.`
    : mine === 0
      ? 'You own no target of this incident, so there is nothing for you to decide.'
      : s.share.length === 0
        ? 'Nothing in this incident is left for you to decide.'
        : undefined;
  const noPasskey = !cannot && (await activePasskeys(ctx, me)).length === 0;
  sendHtml(
    x.res,
    200,
    incidentPage(chrome(x), {
      incident,
      targets,
      skipped: s?.skipped ?? [],
      others: incident.requests.length - mine,
      ...(s?.share.length ? { shareRoot: sealShare(s, me, ctx.deps.config).fields.subsetRoot } : {}),
      ...(cannot ? { cannotDecide: cannot } : {}),
      ...(noPasskey ? { noPasskey } : {}),
    }),
  );
}

/**
 * POST /incidents/:id/challenge: the share payload to sign, bound to the incident digest and
 * the share (its subset root) the page showed; a page older than either is refused.
 */
export async function incidentChallenge(ctx: WebContext, x: SignedIn, id: string): Promise<void> {
  decisionLimit(ctx, x);
  const fields = await readFields(x.req);
  const { decision } = decisionFields(fields);
  const shownDigest = str(fields, 'incidentDigest');
  if (!shownDigest) throw new HttpError(400, 'the incident digest you reviewed is missing');
  const me = x.session.principal;
  const s = await shareOf(ctx, me, id, shownDigest);
  try {
    requireShare(s, me);
  } catch (error) {
    asHttp(error);
  }
  const sealed = sealShare(s, me, ctx.deps.config);
  if (sealed.fields.subsetRoot !== str(fields, 'shareRoot')) {
    throw new HttpError(
      409,
      'your share of this incident changed since this page was loaded (a target was decided, excluded or started): reload the page and review it again',
      'share-changed',
    );
  }
  const passkeys = await requirePasskeys(ctx, me);
  const expiresAt = new Date(ctx.deps.now().getTime() + sealed.ttlHours * 3_600_000).toISOString();
  const payloadText = incidentPayloadText({ ...sealed.fields, decision, expiresAt });
  await sendChallenge(
    ctx,
    x,
    { subject: `incidents/${id}`, decision, payloadText, subset: s.leaves },
    passkeys,
  );
}

/** POST /incidents/:id/decide: the verified assertion, recorded through decideIncident (every check of the CLI path). */
export async function incidentDecide(ctx: WebContext, x: SignedIn, id: string): Promise<void> {
  decisionLimit(ctx, x);
  const { proof, pending, comment } = await takeAssertion(ctx, x, `incidents/${id}`);
  const me = x.session.principal;
  let outcome: IncidentDecisionOutcome;
  try {
    outcome = await decideIncident(ctx.decisionDeps, {
      incidentId: id,
      principal: me,
      decision: pending.decision,
      now: ctx.deps.now(),
      signed: { proof, subset: pending.subset ?? [] },
      ...(comment ? { comment } : {}),
    });
  } catch (error) {
    return asHttp(error);
  }
  const n = outcome.decided.length;
  const approved = outcome.decided.filter((d) => d.status === 'approved');
  const held = approved.filter((d) => d.holdUntil).length;
  ctx.deps.logger.info(
    { component: 'web', principal: me, incidentId: id, decision: pending.decision, targets: n },
    'incident decision recorded',
  );
  sendJson(x.res, 200, {
    ok: true,
    decided: outcome.decided,
    message:
      pending.decision === 'deny'
        ? `Denied ${n} target(s) of incident ${id} with one signature.`
        : `Approved ${n} target(s) of incident ${id} with one signature: ${approved.length} now approved${held ? ` (${held} on hold)` : ''}, ${n - approved.length} wait for another owner.`,
    next: `/incidents/${encodeURIComponent(id)}`,
  });
}
