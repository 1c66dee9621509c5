/**
 * The incident plan document and its digest, and the check every reader of an incident row
 * passes first: the stored document must still hash to its digest, and the request filed for
 * each target must be the one the document names. Owners approve against this digest.
 */

import { canonicalDigest } from '../lib/canonical.js';
import { PolicyError } from '../lib/errors.js';
import type {
  IncidentPlanDocument,
  IncidentRecord,
  IncidentTarget,
  UnrecoverableTarget,
} from '../store/incident-types.js';

const byRef = <T extends { ref: string }>(a: T, b: T) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);

export function incidentDocument(fields: {
  selectors: readonly string[];
  valueMatch: boolean;
  targets: readonly IncidentTarget[];
  unrecoverable: readonly UnrecoverableTarget[];
}): IncidentPlanDocument {
  return {
    kind: 'nhi-incident-plan',
    version: 1,
    selectors: [...fields.selectors],
    valueMatch: fields.valueMatch,
    targets: [...fields.targets].sort(byRef),
    unrecoverable: [...fields.unrecoverable].sort(byRef),
  };
}

export function incidentDigest(doc: IncidentPlanDocument): string {
  return canonicalDigest(doc);
}

/**
 * The incident as filed, or a PolicyError: a document edited in the store no longer hashes to
 * its digest, and a request list that does not pair each target with one request is tampering.
 */
export function trustedIncident(row: IncidentRecord): IncidentRecord {
  const refuse = (message: string): never => {
    throw new PolicyError('incident-tampered', `incident ${row.id}: ${message}`, {
      context: { incidentId: row.id, rule: 'incident-tampered' },
    });
  };
  if (row.document?.kind !== 'nhi-incident-plan' || row.document.version !== 1)
    refuse('the stored plan document is not an nhi incident plan');
  const digest = incidentDigest(row.document);
  if (digest !== row.digest)
    refuse(`the stored plan hashes to ${digest}, not its digest ${row.digest} (edited in the store)`);
  const targets = row.document.targets.map((t) => t.ref);
  const filed = row.requests.map((r) => r.ref);
  if (targets.length !== filed.length || targets.some((ref, i) => ref !== filed[i]))
    refuse('its request list does not match the targets of its plan');
  if (new Set(row.requests.map((r) => r.requestId)).size !== row.requests.length)
    refuse('two targets name the same request');
  return row;
}
