import { z } from 'zod';
import { httpUrlSchema, rateLimitSchema, secretRefSchema } from '../../src/lib/secret-ref.js';

export const vaultAuthSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('token'), token: secretRefSchema }).strict(),
  z
    .object({
      method: z.literal('approle'),
      roleId: z.string().min(1),
      secretId: secretRefSchema,
      mount: z.string().default('approle'),
    })
    .strict(),
]);

export const vaultInstanceSchema = z
  .object({
    type: z.literal('vault'),
    address: httpUrlSchema,
    namespace: z.string().optional(),
    auth: vaultAuthSchema,
    kinds: z
      .array(z.enum(['kv', 'approle', 'token', 'entity']))
      .min(1)
      .default(['kv', 'approle', 'token', 'entity']),
    kv: z
      .object({
        mounts: z.array(z.string().min(1)).default(['secret']),
        /** Field names that are not secret anywhere in this vault (kept by reissue); all others are regenerated. */
        nonSecretFields: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ mounts: ['secret'], nonSecretFields: [] }),
    approle: z
      .object({
        mount: z.string().default('approle'),
        /** Seconds a response-wrapped secret-id stays unwrappable. */
        wrapTtlSeconds: z.number().int().min(30).max(86_400).default(900),
        /** KV v2 path (mount/path) where the wrapping token for a new secret-id is delivered. */
        deliveryPath: z.string().default('secret/nhi-delivery'),
      })
      .strict()
      .default({ mount: 'approle', wrapTtlSeconds: 900, deliveryPath: 'secret/nhi-delivery' }),
    token: z
      .object({
        /** KV v2 path for wrapped tokens; default `<approle.deliveryPath>/token`. */
        deliveryPath: z.string().min(1).optional(),
        /** Seconds a response-wrapped token stays unwrappable; default approle.wrapTtlSeconds. */
        wrapTtlSeconds: z.number().int().min(30).max(86_400).optional(),
      })
      .strict()
      .default({}),
    caFile: z.string().optional(),
    timeoutMs: z.number().int().min(100).max(300_000).default(15_000),
    rateLimit: rateLimitSchema,
  })
  .strict();

export type VaultInstanceConfig = z.infer<typeof vaultInstanceSchema>;
