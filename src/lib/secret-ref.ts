import { z } from 'zod';
import { SecretValue } from './secret.js';

export const SECRET_REF_HINT =
  'a literal secret is not allowed in the config file; put it in an environment variable and write "env:NAME", or in a file (mode 0600) and write "file:PATH"';

export const SECRET_REF_TYPE_MESSAGE = 'expected a secret reference "env:NAME" or "file:PATH"';

const REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/;

/**
 * A config field that holds a secret. Only references are accepted; the loader resolves
 * them (src/config/secrets.ts). A literal is refused without echoing it.
 */
export const secretRefSchema = z
  .string({ error: SECRET_REF_TYPE_MESSAGE })
  .superRefine((raw, ctx) => {
    if (!REF.test(raw)) ctx.addIssue({ code: 'custom', message: SECRET_REF_HINT, input: undefined });
  })
  .transform((raw) => SecretValue.reference(raw));

/** Per-instance request budgets, shared by every caller of the instance. */
export const rateLimitSchema = z
  .object({
    readsPerSecond: z.number().positive().max(10_000).optional(),
    writesPerSecond: z.number().positive().max(10_000).optional(),
    /** Concurrent per-item describe calls during inventory. */
    concurrency: z.number().int().min(1).max(256).optional(),
  })
  .strict()
  .default({});

export type RateLimitConfig = z.infer<typeof rateLimitSchema>;

export const httpUrlSchema = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
