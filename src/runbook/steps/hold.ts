import { z } from 'zod';
import type { StepDefinition } from './types.js';

/** The cool-off hold. authorizeRun refuses a run inside the hold; this records that it had elapsed. */
export const holdStep: StepDefinition = {
  type: 'hold',
  params: z.object({}).strict(),
  sideEffect: false,
  async execute(rt) {
    return {
      holdMinutes: rt.plan.policy.holdMinutes,
      checkedAt: rt.now().toISOString(),
      skipped: rt.facts.mode === 'break-glass',
    };
  },
};
