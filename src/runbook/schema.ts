import { z } from 'zod';
import { generatorSpecSchema } from '../lib/generator.js';

export const STEP_TYPES = [
  'snapshot',
  'approval',
  'hold',
  'make-room',
  'revoke',
  'reissue',
  'verify',
  'review-activity',
  'hook',
  'notify',
] as const;
export type StepType = (typeof STEP_TYPES)[number];

export const ORDERS = ['revoke-then-reissue', 'reissue-then-revoke'] as const;
export type RunbookOrder = (typeof ORDERS)[number];

/** A step is written as its type ("revoke") or as { type, id?, params }. */
const stepSchema = z.union([
  z.string(),
  z
    .object({
      type: z.string(),
      id: z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,40}$/)
        .optional(),
      params: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
]);

export const runbookSchema = z
  .object({
    $schema: z.string().optional(),
    id: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'expected a lower-case id: letters, digits, dashes'),
    description: z.string().min(1),
    appliesTo: z
      .object({
        provider: z.enum(['vault', 'aws', 'azure']),
        kind: z.string(),
      })
      .strict(),
    order: z.enum(ORDERS),
    generator: generatorSpecSchema,
    steps: z.array(stepSchema).min(1),
  })
  .strict();

export type WrittenRunbook = z.input<typeof runbookSchema>;

export interface RunbookStep {
  id: string;
  type: StepType;
  params: Record<string, unknown>;
}

export interface Runbook {
  id: string;
  description: string;
  appliesTo: { provider: 'vault' | 'aws' | 'azure'; kind: string };
  order: RunbookOrder;
  generator: z.output<typeof generatorSpecSchema>;
  steps: RunbookStep[];
  /** Where it was loaded from (for messages). */
  source: string;
}
