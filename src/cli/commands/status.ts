import type { App } from '../../app.js';
import { trustedRequest } from '../../approval/signed-request.js';
import { NotFoundError, PolicyError } from '../../lib/errors.js';
import { renderTable } from '../../lib/text.js';
import { deliveryState } from '../../notify/notifier.js';
import { liveRunLease } from '../../runbook/leases.js';
import { REVOKED_USE_TYPES } from '../../scan/revoked-use.js';
import type { ActorProof, FindingRecord, RecoveryRequest } from '../../store/types.js';
import type { CliContext } from '../context.js';
import { ackNote } from './findings-ack.js';

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
    if (ctx.globals.json) return ctx.printJson({ requests, runs, failedDeliveries, incidents });
    const rows = [];
    for (const r of requests) {
      const approvals = await store.approvals.forRequest(r.id);
      const approved = new Set(
        approvals.filter((a) => a.decision === 'approve' && !a.purpose).map((a) => a.principal),
      );
      rows.push([
        r.id,
        r.ref,
        r.tier,
        r.status,
        `${approved.size}/${r.plan.policy?.quorum ?? '?'}`,
        signedName(r.requester, r.requesterProof),
        reviewNote(r) ?? '',
      ]);
    }
    ctx.print(
      rows.length
        ? renderTable(['REQUEST', 'REF', 'TIER', 'STATUS', 'APPROVALS', 'REQUESTER', 'NOTE'], rows)
        : 'no requests',
    );
    const runRows = runs.map((r) => [
      r.id,
      r.requestId,
      r.status,
      signedName(r.executor, r.executorProof),
      r.breakGlass ? 'break-glass' : '',
      r.error ?? '',
    ]);
    if (runRows.length)
      ctx.print(`\n${renderTable(['RUN', 'REQUEST', 'STATUS', 'EXECUTOR', 'MODE', 'ERROR'], runRows)}`);
    if (incidents.length) {
      ctx.print(`\nIncident findings (revoked credentials used; closed only by nhi findings ack):`);
      ctx.print(
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
      ctx.print(
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
  if (ctx.globals.json)
    return ctx.printJson({ request: req, approvals, runs, steps, failedDeliveries: deliveries });
  const note = reviewNote(req, true);
  ctx.print(`request ${req.id}: ${req.status}${note ? `  [${note}]` : ''}`);
  // Show what owners signed; a row whose plan no longer matches its digest is shown as such.
  let shown: RecoveryRequest = req;
  try {
    shown = trustedRequest(req);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    ctx.print(`  WARNING (${error.rule}): ${error.message}`);
  }
  ctx.print(`  ref ${shown.ref}  runbook ${shown.runbookId}  tier ${shown.tier}`);
  ctx.print(`  requested by ${signedName(req.requester, req.requesterProof)}: ${req.reason}`);
  ctx.print(
    `  owners ${shown.owners.join(', ') || '(none registered)'}; created ${req.createdAt}; expires ${req.expiresAt}`,
  );
  ctx.print(`  plan digest ${req.planDigest}`);
  for (const a of approvals)
    ctx.print(
      a.purpose
        ? `  review: break-glass ${a.decision === 'approve' ? 'endorsed' : 'DISPUTED'} by ${a.principal} at ${a.createdAt}${a.comment ? `: ${a.comment}` : ''}`
        : `  ${a.decision} by ${a.principal} at ${a.createdAt} (valid until ${a.expiresAt})${a.comment ? `: ${a.comment}` : ''}`,
    );
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
