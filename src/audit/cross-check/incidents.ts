/**
 * Incident rows against their `incident.created` entry (digest, reason, expiry, the request
 * filed for each target) and their exclusions against the `request.withdrawn` entries that
 * recorded them. The row's plan document must also still hash to its digest: an edited
 * target list re-hashed by hand shows up as a digest that differs from the entry's.
 */
import { incidentDigest } from '../../incident/document.js';
import type { IncidentRecord } from '../../store/incident-types.js';
import {
  ClaimIndex,
  type ClaimShape,
  type IndexedClaim,
  indexClaim,
  reportDifferences,
  reportLeftovers,
} from './claims.js';
import type { RowKind } from './types.js';

const shape: ClaimShape<IncidentRecord> = {
  ofRow: (r) => ({ incidentDigest: r.digest, reason: r.reason, expiresAt: r.expiresAt, targets: r.requests }),
  ofEntry: (e) => ({
    incidentDigest: e.data.incidentDigest,
    reason: e.data.reason,
    expiresAt: e.data.expiresAt,
    targets: e.data.targets,
  }),
};

const exclusionKey = (ref: unknown, by: unknown, reason: unknown) => JSON.stringify([ref, by, reason]);

export function incidentKind(): RowKind {
  const index = new ClaimIndex<IndexedClaim>();
  /** incident id -> the exclusions the log recorded, as keys. */
  const withdrawn = new Map<string, string[]>();
  return {
    kind: 'incident',
    index(entry) {
      if (entry.type === 'incident.created') index.add(entry.subject, indexClaim(shape, entry));
      else if (entry.type === 'request.withdrawn' && typeof entry.data.incidentId === 'string') {
        const list = withdrawn.get(entry.data.incidentId) ?? [];
        list.push(exclusionKey(entry.data.ref, entry.actor, entry.data.reason));
        withdrawn.set(entry.data.incidentId, list);
      }
    },
    async checkRows(ctx) {
      let rows = 0;
      for (const incident of await ctx.store.incidents.list()) {
        rows++;
        const recorded = index.take(incident.id);
        if (!recorded) {
          ctx.report({ kind: 'incident', id: incident.id, problem: 'no incident.created entry records it' });
          continue;
        }
        let digest: string | undefined;
        try {
          digest = incidentDigest(incident.document);
        } catch {
          digest = undefined;
        }
        if (digest !== incident.digest)
          ctx.report({
            kind: 'incident',
            id: incident.id,
            problem: 'its plan document does not hash to its digest',
          });
        await reportDifferences(ctx, 'incident', incident.id, shape, incident, recorded);
        const logged = [...(withdrawn.get(incident.id) ?? [])].sort();
        const stored = (incident.exclusions ?? []).map((x) => exclusionKey(x.ref, x.by, x.reason)).sort();
        if (JSON.stringify(logged) !== JSON.stringify(stored))
          ctx.report({
            kind: 'incident',
            id: incident.id,
            problem: `exclusions differ from its request.withdrawn entries (${stored.length} stored, ${logged.length} recorded)`,
          });
      }
      return rows;
    },
    reportMissing(ctx) {
      reportLeftovers(ctx, 'incident', index);
    },
  };
}
