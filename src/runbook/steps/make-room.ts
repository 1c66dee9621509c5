import { z } from 'zod';
import type { StepDefinition } from './types.js';

/**
 * Make room under a provider limit before anything is revoked (IAM: 2 access keys per user).
 * Deletes exactly the already-unusable versions the approved plan's limits name — computed at
 * plan time and signed by the owners — so a run never discovers the limit after revoking.
 * Deleting is idempotent ('already-revoked'), so a resumed step simply calls again.
 */
export const makeRoomStep: StepDefinition = {
  type: 'make-room',
  params: z.object({}).strict(),
  sideEffect: true,
  requires: 'makeRoom',
  async execute(rt) {
    const versionIds = rt.plan.limits.flatMap((l) => l.makeRoom ?? []);
    if (versionIds.length === 0) return { removed: [], note: 'within every limit: nothing to remove' };
    if (!rt.provider.makeRoom) throw new Error(`provider of ${rt.plan.ref} has no makeRoom`);
    const removed = await rt.provider.makeRoom(rt.ref, versionIds, rt.ctx);
    return { removed };
  },
};
