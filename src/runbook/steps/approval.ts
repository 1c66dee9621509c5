import { z } from 'zod';
import type { StepDefinition } from './types.js';

/** Marks where approval gates the run. The gate itself (authorizeRun) runs before the run starts. */
export const approvalStep: StepDefinition = {
  type: 'approval',
  params: z.object({}).strict(),
  sideEffect: false,
  async execute(rt) {
    return {
      mode: rt.facts.mode ?? 'approved',
      approvers: rt.facts.approvers ?? [],
      approvalIds: rt.facts.approvalIds ?? [],
    };
  },
};
