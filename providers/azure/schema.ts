import { z } from 'zod';
import { httpUrlSchema, rateLimitSchema, secretRefSchema } from '../../src/lib/secret-ref.js';

export const azureCredentialSchema = z.discriminatedUnion('method', [
  /** DefaultAzureCredential: env, workload identity, managed identity, Azure CLI. */
  z.object({ method: z.literal('default') }).strict(),
  z
    .object({
      method: z.literal('client-secret'),
      tenantId: z.string().min(1),
      clientId: z.string().min(1),
      clientSecret: secretRefSchema,
    })
    .strict(),
  /** A fixed bearer token: for emulators such as Lowkey Vault only. */
  z.object({ method: z.literal('static-token'), token: secretRefSchema }).strict(),
]);

export const azureInstanceSchema = z
  .object({
    type: z.literal('azure'),
    vaultUrl: httpUrlSchema,
    credential: azureCredentialSchema,
    kinds: z
      .array(z.enum(['secret']))
      .min(1)
      .default(['secret']),
    /** Extra CA certificate (PEM) to trust for this vault, e.g. an emulator's self-signed cert. */
    caFile: z.string().optional(),
    /** Pin the Key Vault REST API version (emulators lag behind the SDK default). */
    serviceVersion: z.string().optional(),
    /** Needed for emulators whose challenge resource does not match the vault URL. */
    disableChallengeResourceVerification: z.boolean().default(false),
    rateLimit: rateLimitSchema,
  })
  .strict();

export type AzureInstanceConfig = z.infer<typeof azureInstanceSchema>;
