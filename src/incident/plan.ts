/**
 * `nhi incident plan`: resolve a blast radius into one incident plan. Every selected identity
 * is planned against the live provider exactly as `nhi plan` would (planTarget), concurrently;
 * the ones nhi cannot recover are listed with the reason instead of failing the whole plan.
 * Changes nothing.
 */

import { mapConcurrent } from '../lib/concurrency.js';
import { NhiError } from '../lib/errors.js';
import type { EngineDeps } from '../runbook/engine.js';
import type { PlannedTarget } from '../runbook/planning.js';
import { planTarget } from '../runbook/planning.js';
import type { IncidentPlanDocument, IncidentTarget, UnrecoverableTarget } from '../store/incident-types.js';
import { incidentDigest, incidentDocument } from './document.js';
import { runbookChoice } from './runbook-choice.js';
import type { Selector } from './select.js';
import { type SelectionMatch, walkSelection } from './select-walk.js';

/** Planning describes each target: bounded, and each provider's own read limiter paces it. */
const PLAN_CONCURRENCY = 16;

export interface IncidentSelection {
  selectors: readonly Selector[];
  /** Fingerprint of the leaked value (`--value-stdin`), never the value. */
  valueFingerprint?: string;
  /** `--runbook ID`: the runbook for that provider type and kind. */
  runbooks: readonly string[];
}

export interface PlannedIncident {
  document: IncidentPlanDocument;
  digest: string;
  /** The plan of each target, by ref. */
  plans: Map<string, PlannedTarget>;
}

export async function planIncident(
  deps: EngineDeps,
  selection: IncidentSelection,
  onProgress?: (what: string) => void,
): Promise<PlannedIncident> {
  const choice = runbookChoice(deps.runbooks, selection.runbooks);
  const targets: IncidentTarget[] = [];
  const unrecoverable: UnrecoverableTarget[] = [];
  const plans = new Map<string, PlannedTarget>();
  const walk = walkSelection(deps, selection.selectors, {
    ...(selection.valueFingerprint ? { valueFingerprint: selection.valueFingerprint } : {}),
    onProgress: (instance, seen) => onProgress?.(`${instance}: ${seen} identities read`),
  });
  const planOne = async (match: SelectionMatch) => {
    const { record, matched } = match;
    const rb = choice.forKind(record.provider, record.kind);
    if ('reason' in rb) return { ref: record.ref, matched, reason: rb.reason };
    try {
      return { ref: record.ref, matched, planned: await planTarget(deps, record.ref, rb.id) };
    } catch (error) {
      // A problem of one target (deleted since the walk, refused by the provider, an outage)
      // is its reason, so the owners see every target the plan does not cover. Provider
      // errors arrive mapped and scrubbed (no request echo); anything else is a bug.
      if (!(error instanceof NhiError)) throw error;
      return { ref: record.ref, matched, reason: error.message };
    }
  };
  let planned = 0;
  const iterator = walk[Symbol.asyncIterator]();
  const matches: AsyncIterable<SelectionMatch> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const r = await iterator.next();
        if (r.done) {
          for (const m of r.value.missing) unrecoverable.push(m);
          return { done: true, value: undefined };
        }
        return r;
      },
    }),
  };
  for await (const r of mapConcurrent(matches, PLAN_CONCURRENCY, planOne)) {
    if ('planned' in r && r.planned) {
      const { plan, digest } = r.planned;
      plans.set(r.ref, r.planned);
      targets.push({
        ref: r.ref,
        runbookId: plan.runbook.id,
        planDigest: digest,
        tier: plan.policy.tier,
        owners: [...r.planned.owners],
        matched: r.matched,
      });
    } else unrecoverable.push({ ref: r.ref, reason: (r as { reason: string }).reason, matched: r.matched });
    onProgress?.(`planned ${++planned} targets`);
  }
  const document = incidentDocument({
    selectors: selection.selectors.map((s) => s.text),
    valueMatch: selection.valueFingerprint !== undefined,
    targets,
    unrecoverable,
  });
  return { document, digest: incidentDigest(document), plans };
}
