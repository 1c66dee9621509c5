/**
 * The whole nhi config file, one zod schema. Provider instance schemas come from the
 * registry; the state store, web, delivery (notify, hooks, witnesses) and shared vocabulary
 * from their own modules; the rest is defined here. Descriptions double as documentation
 * (docs/configuration.md mirrors them).
 */
import { z } from 'zod';
import { generatorSpecSchema } from '../lib/generator.js';
import { secretRefSchema } from '../lib/secret-ref.js';
import { PROVIDER_REGISTRY } from '../registry.js';
import { auditWitnessSchema, hookSchema, webhookTargetSchema } from './delivery-schema.js';
import { stateSchema } from './state-schema.js';
import { findingTypeSchema, name, principalName, severitySchema } from './vocabulary.js';
import { httpSchema, oidcSchema, opsSchema } from './web-schema.js';

export type { AuditWitnessConfig, HookConfig, WebhookTarget } from './delivery-schema.js';
export {
  FINDING_TYPES,
  type FindingType,
  findingTypeSchema,
  SEVERITIES,
  type Severity,
  severitySchema,
} from './vocabulary.js';

const providerInstanceSchema = z.discriminatedUnion('type', [
  PROVIDER_REGISTRY.vault.schema,
  PROVIDER_REGISTRY.aws.schema,
  PROVIDER_REGISTRY.azure.schema,
]);

/** A public key: inline PEM, or "file:PATH". Public keys are not secrets, so literals are fine. */
const publicKeySchema = z.string().min(1, 'expected a PEM public key or file:PATH');

const principalSchema = z
  .object({
    publicKey: publicKeySchema,
    email: z.email().optional(),
    displayName: z.string().optional(),
  })
  .strict();

const tierPolicySchema = z
  .object({
    quorum: z.number().int().min(1).max(10),
    approvalTtlHours: z
      .number()
      .positive()
      .max(24 * 30),
    holdMinutes: z
      .number()
      .min(0)
      .max(7 * 24 * 60),
    /** Notify target(s) that must be alerted when a request of this tier is filed or run. */
    alert: z.array(name).default([]),
    /** The executor must not be one of the approvers. */
    executorNotApprover: z.boolean(),
  })
  .strict();

const thresholdsSchema = z
  .object({
    dormantDays: z.number().int().min(1).max(3650),
    maxAgeDays: z.number().int().min(1).max(3650),
  })
  .strict();

const scheduleSchema = z
  .object({
    cron: z.string().min(1),
    timezone: z.string().default('UTC'),
    providers: z.array(name).default([]),
    report: z
      .object({
        format: z.enum(['json', 'markdown', 'html', 'sarif', 'ocsf']).default('html'),
        /** Output path; "{date}" is replaced with the run date (YYYY-MM-DD). */
        out: z.string().min(1),
      })
      .strict()
      .optional(),
    alerts: z
      .object({
        notify: z.array(name).min(1),
        types: z.array(findingTypeSchema).default([]),
        minSeverity: severitySchema.default('medium'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const writtenConfigSchema = z
  .object({
    $schema: z.string().optional(),
    state: stateSchema,
    keys: z
      .object({
        /** HMAC key for secret fingerprints. Lives outside the state store. */
        fingerprint: secretRefSchema,
        /** Ed25519 private key (PEM) that signs audit checkpoints. */
        auditSigning: secretRefSchema,
        /** Ed25519 public key for offline verification; derived from auditSigning when absent. */
        auditPublicKey: publicKeySchema.optional(),
      })
      .strict(),
    audit: z
      .object({
        /**
         * At most this many entries between two signed checkpoints (others are mandatory at run
         * ends, scan ends, decisions and refusals). Raise it freely; lowering it makes older
         * stretches of the log fail `nhi audit verify`.
         */
        checkpointEvery: z.number().int().min(1).max(100_000).default(100),
        witnesses: z.array(auditWitnessSchema).default([]),
      })
      .strict()
      .default({ checkpointEvery: 100, witnesses: [] }),
    log: z
      .object({
        /** Unset: warn for interactive commands, info for `nhi serve`. */
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
        file: z.string().optional(),
      })
      .strict()
      .default({}),
    providers: z.record(name, providerInstanceSchema).refine((p) => Object.keys(p).length > 0, {
      message: 'expected at least one provider instance',
    }),
    owners: z
      .object({
        /** Tag / custom-metadata keys that name an identity's owner(s), first present wins. */
        tagKeys: z.array(z.string().min(1)).min(1).default(['owner']),
        principals: z.record(principalName, principalSchema).default({}),
        teams: z.record(name, z.array(principalName)).default({}),
        /** Principals (or team names) allowed to break glass. */
        breakGlass: z.array(z.string()).default([]),
      })
      .strict()
      .default({ tagKeys: ['owner'], principals: {}, teams: {}, breakGlass: [] }),
    tiers: z
      .object({
        privileged: z
          .object({
            tags: z.record(z.string(), z.string()).default({ tier: 'privileged' }),
            refPatterns: z.array(z.string()).default([]),
            /** Built-in rules: root/sudo Vault tokens, IAM keys of admin users. */
            builtinRules: z.boolean().default(true),
          })
          .strict()
          .default({ tags: { tier: 'privileged' }, refPatterns: [], builtinRules: true }),
      })
      .strict()
      .default({ privileged: { tags: { tier: 'privileged' }, refPatterns: [], builtinRules: true } }),
    policy: z
      .object({
        requestTtlHours: z
          .number()
          .positive()
          .max(24 * 30)
          .default(24),
        /**
         * `nhi serve` reminds the owners of a request still waiting for approval this many hours
         * before it expires (once per request; 0: never). Operational, not part of the signed policy.
         */
        remindBeforeHours: z
          .number()
          .min(0)
          .max(24 * 30)
          .default(4),
        standard: tierPolicySchema.default({
          quorum: 1,
          approvalTtlHours: 24,
          holdMinutes: 0,
          alert: [],
          executorNotApprover: false,
        }),
        privileged: tierPolicySchema.default({
          quorum: 2,
          approvalTtlHours: 4,
          holdMinutes: 60,
          alert: [],
          executorNotApprover: true,
        }),
        /** Notify target(s) for break-glass runs (always alerted at high severity). */
        securityAlert: z.array(name).default([]),
        /**
         * `nhi request`, `run` and `resume` must be signed with the actor's registered key
         * (`--key`), so `--as` is proven, not just named. Off by default for existing setups;
         * production should turn it on.
         */
        requireSignedActors: z.boolean().default(false),
        /**
         * The policy's named control owners: registered principals who answer for the owner
         * registry, tiers and this policy. Their keys are pinned in the audit log the first time
         * a policy is adopted; every later change of the policy needs `quorum` of their
         * signatures (`nhi policy sign`). Decisions are refused until this is set and signed.
         */
        controlOwners: z
          .object({
            principals: z.array(principalName).min(1).max(20),
            /** Distinct control-owner keys that must sign a change. */
            quorum: z.number().int().min(1).max(20).default(1),
          })
          .strict()
          .optional(),
        /** Control owners' signatures (relative to the config file); default nhi.policy.sig.json next to it. */
        signaturesFile: z.string().min(1).optional(),
      })
      .strict()
      .default({
        requestTtlHours: 24,
        remindBeforeHours: 4,
        standard: { quorum: 1, approvalTtlHours: 24, holdMinutes: 0, alert: [], executorNotApprover: false },
        privileged: { quorum: 2, approvalTtlHours: 4, holdMinutes: 60, alert: [], executorNotApprover: true },
        securityAlert: [],
        requireSignedActors: false,
      }),
    scan: z
      .object({
        standard: thresholdsSchema.default({ dormantDays: 90, maxAgeDays: 365 }),
        privileged: thresholdsSchema.default({ dormantDays: 30, maxAgeDays: 90 }),
      })
      .strict()
      .default({
        standard: { dormantDays: 90, maxAgeDays: 365 },
        privileged: { dormantDays: 30, maxAgeDays: 90 },
      }),
    schedules: z.record(name, scheduleSchema).default({}),
    notify: z.record(name, webhookTargetSchema).default({}),
    hooks: z.record(name, hookSchema).default({}),
    runbooks: z
      .object({ dirs: z.array(z.string()).default([]) })
      .strict()
      .default({ dirs: [] }),
    /** Default generator for runbooks that do not name one. */
    generator: generatorSpecSchema.optional(),
    /** The approval page served by `nhi serve` (docs/adr/060-approval-page.md). */
    http: httpSchema.optional(),
    /** `nhi serve`'s /healthz, /readyz and /metrics (web-schema.ts); absent: not served. */
    ops: opsSchema.optional(),
    /** The identity provider owners sign in to the approval page with. */
    oidc: oidcSchema.optional(),
  })
  .strict();

export type WrittenConfig = z.input<typeof writtenConfigSchema>;
export type ParsedConfig = z.output<typeof writtenConfigSchema>;
export type ProviderInstance = ParsedConfig['providers'][string];
export type TierPolicy = z.output<typeof tierPolicySchema>;
export type Thresholds = z.output<typeof thresholdsSchema>;
export type ScheduleConfig = z.output<typeof scheduleSchema>;
