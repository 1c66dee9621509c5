import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { NhiError, ProviderError } from '../../lib/errors.js';
import { own } from '../../lib/own.js';
import { postWebhook } from '../../notify/webhook.js';
import type { StepDefinition } from './types.js';

/**
 * Target-side hook: tell the consumer of the credential to pick up the new version
 * (restart a service, re-read a secret, unwrap a delivered token). It gets the ref, the
 * new version id, the delivery location and the idempotency key — never the value.
 */
export const hookStep: StepDefinition<z.ZodObject<{ hook: z.ZodString }>> = {
  type: 'hook',
  params: z.object({ hook: z.string().min(1) }).strict(),
  sideEffect: true,
  async execute(rt) {
    const hook = own(rt.config.hooks, rt.params.hook);
    if (!hook)
      throw new NhiError('config', `hook "${rt.params.hook}" is not defined under "hooks" in the config`);
    const payload = {
      ref: rt.plan.ref,
      runId: rt.run.id,
      requestId: rt.request.id,
      idempotencyKey: rt.ctx.idempotencyKey,
      newVersion: rt.facts.issued?.versionId ?? null,
      delivery: rt.facts.issued?.delivery ?? null,
    };
    if (hook.type === 'webhook') {
      const res = await postWebhook(hook, JSON.stringify(payload), { deliveryId: randomUUID(), now: rt.now });
      if (!res.ok)
        throw new ProviderError(`hook ${rt.params.hook} failed: ${res.error}`, { retryable: true });
      return { hook: rt.params.hook, status: res.status ?? 200 };
    }
    const [cmd, ...args] = hook.command as [string, ...string[]];
    await new Promise<void>((resolve, reject) => {
      execFile(
        cmd,
        args,
        {
          timeout: hook.timeoutMs,
          cwd: rt.config.baseDir,
          env: {
            ...process.env,
            NHI_REF: payload.ref,
            NHI_RUN_ID: payload.runId,
            NHI_IDEMPOTENCY_KEY: payload.idempotencyKey,
            NHI_NEW_VERSION: payload.newVersion ?? '',
            NHI_DELIVERY: payload.delivery ? `${payload.delivery.kind}:${payload.delivery.location}` : '',
          },
        },
        (error) =>
          error
            ? reject(
                new ProviderError(`hook ${rt.params.hook} exited with ${error.code ?? 'error'}`, {
                  retryable: false,
                }),
              )
            : resolve(),
      );
    });
    return { hook: rt.params.hook, status: 0 };
  },
};
