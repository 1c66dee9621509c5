import { z } from 'zod';
import { httpUrlSchema, rateLimitSchema, secretRefSchema } from '../../src/lib/secret-ref.js';

export const awsCredentialsSchema = z.discriminatedUnion('method', [
  /** The SDK default chain (env, shared config, SSO, web identity, instance role). */
  z.object({ method: z.literal('default'), profile: z.string().optional() }).strict(),
  z
    .object({
      method: z.literal('static'),
      accessKeyId: z.string().min(16),
      secretAccessKey: secretRefSchema,
      sessionToken: secretRefSchema.optional(),
    })
    .strict(),
]);

export const awsInstanceSchema = z
  .object({
    type: z.literal('aws'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1'),
    /** Explicit endpoint (e.g. a local moto server); omit for the real AWS endpoints. */
    endpoint: httpUrlSchema.optional(),
    credentials: awsCredentialsSchema,
    kinds: z
      .array(z.enum(['secret', 'iam-key']))
      .min(1)
      .default(['secret', 'iam-key']),
    secrets: z
      .object({
        namePrefix: z.string().optional(),
        /**
         * Budget for ListSecretVersionIds (describe / activitySince only; inventory never calls
         * it). Default 40/s, or readsPerSecond if lower: the API has its own, low quota (ADR 023).
         */
        versionListPerSecond: z.number().positive().max(10_000).optional(),
      })
      .strict()
      .default({}),
    iam: z
      .object({
        pathPrefix: z.string().startsWith('/').optional(),
        /** Secrets Manager name prefix where a reissued access key pair is stored. */
        deliveryPrefix: z.string().default('nhi/iam-keys/'),
        /** IAM budgets (the Secrets Manager ones are the top-level rateLimit); IAM quotas are far lower. */
        rateLimit: rateLimitSchema,
      })
      .strict()
      .default({ deliveryPrefix: 'nhi/iam-keys/', rateLimit: {} }),
    rateLimit: rateLimitSchema,
  })
  .strict();

export type AwsInstanceConfig = z.infer<typeof awsInstanceSchema>;
