import { z } from 'zod';
import type { StepDefinition } from './types.js';

/**
 * Issue exactly one new credential. On resume (intent committed, no outcome) ask the
 * provider first whether our idempotency key already took effect: a lost response or a
 * crash after the write must not create a second credential.
 */
export const reissueStep: StepDefinition = {
  type: 'reissue',
  params: z.record(z.string(), z.unknown()),
  sideEffect: true,
  requires: 'reissue',
  async execute(rt) {
    const earlier = rt.resumed ? await rt.provider.findIssued(rt.ref, rt.ctx.idempotencyKey) : undefined;
    const issued = earlier ?? (await rt.provider.reissue(rt.ref, rt.ctx));
    rt.facts.issued = issued;
    return { issued, recoveredAfterInterruption: earlier !== undefined };
  },
};
