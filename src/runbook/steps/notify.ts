import { z } from 'zod';
import type { StepDefinition } from './types.js';

/** Tell the configured targets the recovery finished: ids, versions, digests — never values. */
const params = z.object({ targets: z.array(z.string()).optional() }).strict();

export const notifyStep: StepDefinition<typeof params> = {
  type: 'notify',
  params,
  sideEffect: false,
  async execute(rt) {
    const targets = rt.params.targets ?? Object.keys(rt.config.notify);
    const outcomes = await rt.notifier.notify(targets, {
      event: 'run.completed',
      severity: rt.plan.policy.tier === 'privileged' ? 'high' : 'medium',
      subject: rt.run.id,
      summary: `${rt.plan.ref} recovered by run ${rt.run.id}: new version ${rt.facts.issued?.versionId ?? '?'}`,
      data: {
        ref: rt.plan.ref,
        requestId: rt.request.id,
        requester: rt.request.requester,
        executor: rt.run.executor,
        revoked: (rt.facts.revoked ?? []).map((r) => r.versionId),
        newVersion: rt.facts.issued?.versionId ?? null,
      },
    });
    return { deliveries: outcomes.map((o) => ({ target: o.target, status: o.status })) };
  },
};
