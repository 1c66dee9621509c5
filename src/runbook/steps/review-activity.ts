import { z } from 'zod';
import type { StepDefinition } from './types.js';

/**
 * Gather the provider's evidence of use of the OLD credential since it was revoked
 * (IAM key last used, AWS last accessed, Vault token lookups). Kept on the run; later
 * scans keep checking it (revoked-still-used).
 */
export const reviewActivityStep: StepDefinition = {
  type: 'review-activity',
  params: z.object({}).strict(),
  sideEffect: false,
  async execute(rt) {
    const caps = rt.provider.capabilities[rt.plan.credentialKind as keyof typeof rt.provider.capabilities];
    const revoked = rt.facts.revoked ?? [];
    if (!caps?.activity || !rt.provider.activitySince || revoked.length === 0) {
      return { evidence: [], note: 'provider has no activity signal for this kind' };
    }
    const since = revoked.map((r) => r.revokedAt).sort()[0] as string;
    const evidence = await rt.provider.activitySince(
      rt.ref,
      since,
      revoked.map((r) => r.versionId),
    );
    rt.facts.activity = evidence;
    const usedAfter = evidence.filter((e) => e.lastUsedAt && e.lastUsedAt > since);
    return { since, evidence, usedAfterRevocation: usedAfter.length > 0 };
  },
};
