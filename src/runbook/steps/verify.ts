import { z } from 'zod';
import { NhiError } from '../../lib/errors.js';
import type { StepDefinition } from './types.js';

/** Check the new credential is live and holds what we fingerprinted; then let it serve (promote). */
export const verifyStep: StepDefinition = {
  type: 'verify',
  params: z.object({}).strict(),
  sideEffect: true,
  requires: 'verify',
  async execute(rt) {
    const issued = rt.facts.issued;
    if (!issued) throw new NhiError('internal', `verify step ${rt.step.id} runs before any reissue`);
    const result = await rt.provider.verify(rt.ref, issued);
    rt.facts.verified = result;
    if (result.ok && rt.provider.promote) await rt.provider.promote(rt.ref, issued, rt.ctx);
    return { verified: result, versionId: issued.versionId };
  },
};
