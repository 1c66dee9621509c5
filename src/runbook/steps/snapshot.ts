import { z } from 'zod';
import type { StepDefinition } from './types.js';

/**
 * Re-read the live target. The executor compares a fresh plan's digest with the approved
 * one right before the first side effect (see executor.ts); this step records what was seen.
 */
export const snapshotStep: StepDefinition = {
  type: 'snapshot',
  params: z.object({}).strict(),
  sideEffect: false,
  async execute(rt) {
    const live = await rt.provider.describe(rt.ref);
    return {
      state: live.state,
      currentVersion: live.currentVersion ?? null,
      versions: live.versions.map((v) => ({ id: v.id, state: v.state, fingerprint: v.fingerprint ?? null })),
    };
  },
};
