import { z } from 'zod';
import type { StepDefinition } from './types.js';

/**
 * Revoke exactly the versions the approved plan names. Revoking is idempotent at every
 * provider ('already-revoked'), so a resumed step simply calls again.
 */
export const revokeStep: StepDefinition<
  z.ZodObject<{
    mode: z.ZodOptional<z.ZodString>;
    scope: z.ZodDefault<z.ZodEnum<{ 'all-live': 'all-live'; current: 'current' }>>;
  }>
> = {
  type: 'revoke',
  params: z
    .object({
      mode: z.string().optional(),
      /** all-live: every enabled version (an attacker may hold any of them); current: only the serving one. */
      scope: z.enum(['all-live', 'current']).default('all-live'),
    })
    .strict(),
  sideEffect: true,
  requires: 'revoke',
  async execute(rt) {
    const versionIds = rt.plan.revoke.versions.map((v) => v.versionId);
    // In reissue-then-revoke the new version must never be in the list; the plan predates it.
    const revoked = versionIds.length === 0 ? [] : await rt.provider.revoke(rt.ref, versionIds, rt.ctx);
    rt.facts.revoked = revoked;
    return { revoked };
  },
};
