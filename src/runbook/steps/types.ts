import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Config } from '../../config/load.js';
import type { Notifier } from '../../notify/notifier.js';
import type { CredentialProvider, CredentialRef, KindCapabilities, ReissueContext } from '../../provider.js';
import type { RecoveryRequest, RunRecord } from '../../store/types.js';
import type { RunFacts } from '../facts.js';
import type { Plan, PlannedStep } from '../plan-types.js';
import type { StepType } from '../schema.js';

/** Everything a step handler may use. Side effects go through `provider` only. */
export interface StepRuntime<P = Record<string, unknown>> {
  run: RunRecord;
  request: RecoveryRequest;
  plan: Plan;
  step: PlannedStep;
  params: P;
  ref: CredentialRef;
  provider: CredentialProvider;
  /** idempotencyKey = `${runId}:${stepId}`; generator from the runbook. */
  ctx: ReissueContext;
  /** Outcomes of earlier steps of this run. */
  facts: RunFacts;
  /** True when this step's intent was committed before but no outcome: a crash or lost response. */
  resumed: boolean;
  config: Config;
  notifier: Notifier;
  logger: Logger;
  now: () => Date;
}

/** What a step returns; stored as its outcome (JSON, never a secret). */
export type StepOutcome = Record<string, unknown>;

/**
 * One step type: its parameter schema, whether it changes anything outside nhi (side
 * effects are checkpointed: intent committed before, outcome after), and which provider
 * capability it needs — checked when a plan is made, before anything runs.
 */
export interface StepDefinition<P extends z.ZodType = z.ZodType> {
  type: StepType;
  params: P;
  sideEffect: boolean;
  requires?: keyof Omit<KindCapabilities, 'revokeModes'>;
  execute(rt: StepRuntime<z.output<P>>): Promise<StepOutcome>;
}
