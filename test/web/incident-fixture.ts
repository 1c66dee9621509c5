/** An incident in the approval page's world, as `nhi incident request` files one (over real plans, no provider). */
import { randomUUID } from 'node:crypto';
import { incidentDigest, incidentDocument } from '../../src/incident/document.js';
import type { IncidentRecord } from '../../src/store/incident-types.js';
import type { RecoveryRequest } from '../../src/store/types.js';
import { realPlan } from '../approval/fixture.js';
import type { WebWorld } from './world.js';

type Target = { owners: string[]; tier?: 'standard' | 'privileged' };

/** An incident as `nhi incident request` files it: one request per target, the incident row over their plans. */
export async function insertIncident(w: WebWorld, targets: Target[]) {
  const id = `inc_${randomUUID()}`;
  const reason = 'INC-77: CI runner compromised';
  // Filed together: one reason, one filing time, one expiry.
  const at = w.now();
  const times = {
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + 24 * 3_600_000).toISOString(),
  };
  const requests: RecoveryRequest[] = [];
  for (const t of targets) {
    const plan = realPlan({ owners: t.owners, tier: t.tier ?? 'standard' });
    requests.push(await w.insertRequest({ plan, incidentId: id, reason, ...times }));
  }
  const document = incidentDocument({
    selectors: ['tag:ci-system=jenkins'],
    valueMatch: false,
    targets: requests.map((r) => ({
      ref: r.ref,
      runbookId: r.runbookId,
      planDigest: r.planDigest,
      tier: r.tier,
      owners: r.owners,
      matched: ['tag:ci-system=jenkins'],
    })),
    unrecoverable: [],
  });
  const byRef = new Map(requests.map((r) => [r.ref, r]));
  const incident: IncidentRecord = {
    id,
    reason,
    requester: 'carol',
    createdAt: times.createdAt,
    expiresAt: times.expiresAt,
    document,
    digest: incidentDigest(document),
    requests: document.targets.map((t) => ({ ref: t.ref, requestId: byRef.get(t.ref)?.id ?? '' })),
    exclusions: [],
    updatedAt: times.updatedAt,
  };
  await w.store.incidents.insert(incident);
  return { incident, requests };
}
