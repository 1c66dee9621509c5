import type { ActivityEvidence, IssuedCredential, RevokedVersion } from '../provider.js';

/** Outcomes of earlier steps, read by later ones (kept on the run record). */
export interface RunFacts {
  revoked?: RevokedVersion[];
  issued?: IssuedCredential;
  verified?: { ok: boolean; detail: string };
  activity?: ActivityEvidence[];
  approvers?: string[];
  approvalIds?: string[];
  mode?: 'approved' | 'break-glass';
}
