/**
 * Where nhi sends things outside itself: notify webhooks, runbook hooks and audit witnesses.
 * Secrets here are references (secretRefSchema), never literals.
 */
import { z } from 'zod';
import { httpUrlSchema, secretRefSchema } from '../lib/secret-ref.js';
import { PROVIDER_REGISTRY } from '../registry.js';
import { name, severitySchema } from './vocabulary.js';

export const webhookTargetSchema = z
  .object({
    type: z.literal('webhook'),
    url: httpUrlSchema,
    /** HMAC-SHA256 key for the X-Nhi-Signature header. */
    secret: secretRefSchema,
    /** Only these event types (empty: all). */
    events: z.array(z.string()).default([]),
    minSeverity: severitySchema.default('info'),
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    attempts: z.number().int().min(1).max(10).default(4),
    /**
     * A failed delivery is retried later with exponential backoff (scan end, nhi serve) until
     * it is delivered or expires: after maxAttempts HTTP attempts in all, or maxAgeHours after
     * it was first queued (docs/adr/053-scan-alerts.md).
     */
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(1000).default(12),
        maxAgeHours: z
          .number()
          .min(0.01)
          .max(24 * 30)
          .default(48),
      })
      .strict()
      .default({ maxAttempts: 12, maxAgeHours: 48 }),
  })
  .strict();

export const hookSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('command'),
      /** argv; the new credential is NOT passed — the hook receives the ref, version and delivery location. */
      command: z.array(z.string().min(1)).min(1),
      timeoutMs: z.number().int().min(100).max(600_000).default(60_000),
    })
    .strict(),
  z
    .object({
      type: z.literal('webhook'),
      url: httpUrlSchema,
      secret: secretRefSchema,
      timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    })
    .strict(),
]);

const awsShape = PROVIDER_REGISTRY.aws.schema.shape;

/**
 * Where every signed audit checkpoint is also delivered, outside the state store
 * (docs/security.md, docs/adr/005-audit-witnesses.md). `name` keys the delivery progress.
 */
export const auditWitnessSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('file'),
      name,
      /** Append-only JSONL file, ideally on another mount (relative to the config file). */
      path: z.string().min(1),
    })
    .strict(),
  z
    .object({
      type: z.literal('webhook'),
      name,
      url: httpUrlSchema,
      /** HMAC-SHA256 key for X-Nhi-Signature, as for notify targets. */
      secret: secretRefSchema,
      timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    })
    .strict(),
  z
    .object({
      type: z.literal('s3'),
      name,
      /** A bucket created with Object Lock enabled. */
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name'),
      /** Key prefix; objects are `<prefix>/<seq, 12 digits>.json`. */
      prefix: z
        .string()
        .regex(/^[A-Za-z0-9!_.*'()/-]*$/, 'expected a plain S3 key prefix')
        .default('nhi-audit'),
      /** Use this aws provider instance's region, endpoint and credentials... */
      aws: name.optional(),
      /** ...or these (credentials that may PutObject here and nothing else, ideally). */
      region: awsShape.region.optional(),
      endpoint: httpUrlSchema.optional(),
      credentials: awsShape.credentials.optional(),
      lockMode: z.enum(['COMPLIANCE', 'GOVERNANCE']).default('COMPLIANCE'),
      /** Each object is locked until its upload time plus this many days. */
      retainDays: z.number().int().min(1).max(36_500).default(365),
    })
    .strict(),
]);

export type WebhookTarget = z.output<typeof webhookTargetSchema>;
export type HookConfig = z.output<typeof hookSchema>;
export type AuditWitnessConfig = z.output<typeof auditWitnessSchema>;
