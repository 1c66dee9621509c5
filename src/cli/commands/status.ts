import type { App } from '../../app.js';
import { evaluateApprovals, type QuorumState } from '../../approval/decisions/quorum.js';
import { type TrustedRequest, trustedRequest } from '../../approval/decisions/signed-request.js';
import { ownerRegistryFromConfig } from '../../approval/owners/owner-registry.js';
import { NotFoundError, PolicyError } from '../../lib/errors.js';
import { renderTable } from '../../lib/text.js';
import { deliveryState } from '../../notify/notifier.js';
import { configFacts } from '../../plan-view/config-facts.js';
import { buildPlanView, type PlanView } from '../../plan-view/model.js';
import { renderPlanText } from '../../plan-view/text.js';
import { liveRunLease } from '../../runbook/leases.js';
import { REVOKED_USE_TYPES } from '../../scan/revoked-use.js';
import type { ActorProof, ApprovalRecord, FindingRecord, RecoveryRequest } from '../../store/types.js';
import type { CliContext } from '../context.js';
import { ackNote } from './findings-ack.js';

/**
 * The quorum as the run gate sees it (evaluateApprovals on the digest-checked request):
 * undefined when the stored plan no longer matches its digest.
 */
function quorumOf(
  app: App,
  request: RecoveryRequest,
  approvals: readonly ApprovalRecord[],
): QuorumState | undefined {
  let trusted: TrustedRequest;
  try {
    trusted = trustedRequest(request);
  } catch {
    return undefined;
  }
  return evaluateApprovals({
    request: trusted,
    approvals,
    now: app.now(),
    config: app.config,
    registry: ownerRegistryFromConfig(app.config),
  });
}

/** `nhi status [id]`: requests, runs, approvals, holds, break-glass reviews, failed deliveries. */
export async function printStatus(ctx: CliContext, app: App, id: string | undefined): Promise<void> {
  const { store } = app;
  // Retried with backoff at scan end and by nhi serve; status only reads (ADR 053).
  const failedDeliveries = [
    ...(await store.deliveries.list({ status: 'failed' })),
    ...(await store.deliveries.list({ status: 'expired' })),
  ].map((d) => ({ ...d, state: deliveryState(d) }));
  if (!id) {
    const requests = await store.requests.list();
    const runs = await store.runs.list();
    const incidents = await incidentFindings(app);
    if (ctx.globals.json) return ctx.printJson('status', { requests, runs, failedDeliveries, incidents });
    const rows = [];
    for (const r of requests) {
      const quorum = quorumOf(app, r, await store.approvals.forRequest(r.id));
      rows.push([
        r.id,
        r.ref,
        r.tier,
        r.status,
        quorum ? `${quorum.counted.length}/${quorum.need}` : 'plan-tampered',
        signedName(r.requester, r.requesterProof),
        reviewNote(r) ?? '',
      ]);
    }
    if (rows.length)
      ctx.printTable(
        renderTable(['REQUEST', 'REF', 'TIER', 'STATUS', 'APPROVALS', 'REQUESTER', 'NOTE'], rows),
      );
    else ctx.print('no requests');
    const runRows = runs.map((r) => [
      r.id,
      r.requestId,
      r.status,
      signedName(r.executor, r.executorProof),
      r.breakGlass ? 'break-glass' : '',
      r.error ?? '',
    ]);
    if (runRows.length) {
      ctx.print('');
      ctx.printTable(renderTable(['RUN', 'REQUEST', 'STATUS', 'EXECUTOR', 'MODE', 'ERROR'], runRows));
    }
    if (incidents.length) {
      ctx.print(`\nIncident findings (revoked credentials used; closed only by nhi findings ack):`);
      ctx.printTable(
        renderTable(
          ['FINDING', 'TYPE', 'SEVERITY', 'REF', 'STATE'],
          incidents.map((f) => [f.id, f.type, f.severity, f.ref, ackNote(f) ?? f.status]),
        ),
      );
    }
    if (failedDeliveries.length) {
      ctx.print(
        `\n${failedDeliveries.length} notification deliver(y/ies) FAILED (retried with backoff at every scan end and by nhi serve, until delivered or expired):`,
      );
      ctx.printTable(
        renderTable(
          ['TARGET', 'EVENT', 'SUBJECT', 'STATE', 'ERROR'],
          failedDeliveries.map((d) => [d.target, d.event, d.subject, d.state, d.lastError ?? '']),
        ),
      );
    }
    return;
  }
  const request = await store.requests.get(id);
  const run = request ? undefined : await store.runs.get(id);
  if (!request && !run) throw new NotFoundError(`no request or run with id ${id}`);
  const req = request ?? (await store.requests.get(run?.requestId ?? ''));
  if (!req) throw new NotFoundError(`run ${id} names a missing request`);
  const approvals = await store.approvals.forRequest(req.id);
  const runs = run ? [run] : await store.runs.forRequest(req.id);
  const steps = Object.fromEntries(
    await Promise.all(runs.map(async (r) => [r.id, await store.runs.steps(r.id)] as const)),
  );
  const deliveries = failedDeliveries.filter(
    (d) => d.subject === req.id || runs.some((r) => r.id === d.subject),
  );
  const shown = storedPlanView(app, req);
  if (ctx.globals.json)
    return ctx.printJson('status-detail', {
      request: req,
      planView: shown.view ?? null,
      approvals,
      runs,
      steps,
      failedDeliveries: deliveries,
    });
  const note = reviewNote(req, true);
  ctx.print(`request ${req.id}: ${req.status}${note ? `  [${note}]` : ''}`);
  if (shown.warning) ctx.print(`  WARNING (${shown.warning.rule}): ${shown.warning.message}`);
  // What owners sign, read from the stored plan only: status needs no provider.
  if (shown.view) ctx.print(`\n${renderPlanText(shown.view)}\n`);
  else ctx.print(`  the stored plan cannot be shown: ${shown.unreadable ?? 'unknown shape'}`);
  // Counted exactly as the run gate counts them: a row that does not verify is shown, not counted.
  const quorum = quorumOf(app, req, approvals);
  if (quorum) {
    const hold = quorum.holdUntil ? `; hold until ${quorum.holdUntil.toISOString()}` : '';
    ctx.print(
      `Quorum: ${quorum.counted.length} of ${quorum.need} verified approval(s)${quorum.approvers.length ? ` (${quorum.approvers.join(', ')})` : ''}${quorum.met ? `, met${hold}` : ''}`,
    );
  }
  if (approvals.length) ctx.print('Decisions:');
  const ignored = new Map((quorum?.ignored ?? []).map((i) => [i.approvalId, i]));
  for (const a of approvals) {
    const why = ignored.get(a.id);
    const counts = why ? `  [does not count: ${why.rule}: ${why.reason}]` : '';
    ctx.print(
      a.purpose
        ? `  review: break-glass ${a.decision === 'approve' ? 'endorsed' : 'DISPUTED'} by ${a.principal} at ${a.createdAt}${a.comment ? `: ${a.comment}` : ''}`
        : `  ${a.decision} by ${a.principal} at ${a.createdAt} (valid until ${a.expiresAt})${a.comment ? `: ${a.comment}` : ''}${counts}`,
    );
  }
  for (const r of runs) {
    ctx.print(
      `run ${r.id}: ${r.status} by ${signedName(r.executor, r.executorProof)}${r.breakGlass ? ` (BREAK-GLASS: ${r.breakGlassReason ?? ''})` : ''}${r.error ? ` — ${r.error}` : ''}`,
    );
    for (const x of r.resumes ?? []) ctx.print(`  resumed by ${signedName(x.actor, x.proof)} at ${x.at}`);
    if (r.status === 'running') {
      const lease = await liveRunLease(store, app.engine().leaseHolder, r.id, new Date());
      ctx.print(
        lease
          ? `  executing now on ${lease.holder} (lease until ${lease.expiresAt}); do not resume it`
          : `  interrupted: no process holds it; continue with nhi resume ${r.id}`,
      );
    }
    for (const s of steps[r.id] ?? [])
      ctx.print(
        `  ${String(s.index + 1).padStart(2)}. ${s.stepId.padEnd(16)} ${s.status}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`,
      );
  }
  for (const d of deliveries) ctx.print(`  notification to ${d.target} ${d.state}: ${d.lastError ?? ''}`);
}

/**
 * The readable plan of a request, from its stored plan. A row whose plan no longer matches its
 * digest is still shown (marked by the view and a warning): the point is to see what changed.
 */
function storedPlanView(
  app: App,
  req: RecoveryRequest,
): { view?: PlanView; warning?: PolicyError; unreadable?: string } {
  let warning: PolicyError | undefined;
  try {
    trustedRequest(req);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    warning = error;
  }
  const marked = warning ? { warning } : {};
  try {
    return {
      view: buildPlanView({ plan: req.plan, request: req, ...configFacts(app.config, req.plan) }),
      ...marked,
    };
  } catch (error) {
    // A hand-edited row can hold anything; say so instead of failing the whole status command.
    return { ...marked, unreadable: error instanceof Error ? error.message : String(error) };
  }
}

/** Open and acknowledged revoked-use findings: incident signals stay visible after an ack. */
async function incidentFindings(app: App): Promise<FindingRecord[]> {
  const out: FindingRecord[] = [];
  for (const type of REVOKED_USE_TYPES)
    for await (const f of app.store.findings.iterate({ type })) if (f.status !== 'resolved') out.push(f);
  return out;
}

/** The retrospective review state of a break-glass request: pending, endorsed by X, or disputed by X. */
export function reviewNote(r: RecoveryRequest, long = false): string | undefined {
  if (r.review?.outcome === 'disputed')
    return `break-glass DISPUTED by ${r.review.principal}${long ? ` at ${r.review.at}` : ''}`;
  if (r.reviewRequired)
    return long ? 'needs retrospective owner review: break-glass' : 'break-glass: REVIEW pending';
  if (r.review?.outcome === 'endorsed')
    return `break-glass endorsed by ${r.review.principal}${long ? ` at ${r.review.at}` : ''}`;
  return undefined;
}

/** "carol (signed)" when the actor signed with their registered key (policy.requireSignedActors), else "carol". */
export function signedName(name: string, proof: ActorProof | undefined): string {
  return proof ? `${name} (signed)` : name;
}
