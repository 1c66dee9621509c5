import { resolveOwners } from '../approval/owners/owners.js';
import { classifyTier } from '../approval/owners/tiers.js';
import { PolicyError } from '../lib/errors.js';
import { parseRef } from '../lib/ref.js';
import type { IdentityRecord } from '../provider.js';
import type { EngineDeps } from './engine.js';
import { findRunbook } from './load.js';
import { type Plan, planDigest, planRecovery } from './plan.js';
import { checkRunbookReferences } from './references.js';

export interface PlannedTarget {
  plan: Plan;
  digest: string;
  snapshot: IdentityRecord;
  owners: string[];
}

/** Describe the live target and run the pure planner on it. Changes nothing. */
export async function planTarget(
  deps: Pick<EngineDeps, 'config' | 'provider' | 'runbooks'>,
  refText: string,
  runbookId: string,
): Promise<PlannedTarget> {
  const ref = parseRef(refText);
  const runbook = findRunbook(deps.runbooks, runbookId);
  // Before the first provider call: a runbook naming an undefined hook would fail after revoke.
  checkRunbookReferences([runbook], deps.config);
  const provider = await deps.provider(ref.instance);
  if (runbook.appliesTo.provider !== provider.type || runbook.appliesTo.kind !== ref.kind) {
    throw new PolicyError(
      'runbook-mismatch',
      `runbook ${runbook.id} applies to ${runbook.appliesTo.provider} ${runbook.appliesTo.kind}, not ${provider.type} ${ref.kind} (${refText})`,
    );
  }
  const snapshot = await provider.describe(ref, {
    runbook: { id: runbook.id, generator: runbook.generator, steps: runbook.steps },
  });
  const owners = resolveOwners(snapshot.owners, deps.config.owners).principals;
  const tier = classifyTier(snapshot, deps.config.tiers);
  const plan = planRecovery({
    runbook,
    snapshot,
    capabilities: provider.capabilities[snapshot.kind],
    owners,
    tier,
    policy: deps.config.policy[tier.tier],
  });
  return { plan, digest: planDigest(plan), snapshot, owners };
}
