/** The shape of a recovery plan: what approvals sign (through its canonical digest). */
import type { GeneratorSpec } from '../lib/generator.js';
import type { DerivedCredential, FieldPlan, ProviderLimit } from '../provider.js';
import type { RunbookOrder, StepType } from './schema.js';

export interface PlannedStep {
  id: string;
  type: StepType;
  params: Record<string, unknown>;
  sideEffect: boolean;
}

export interface Plan {
  kind: 'nhi-recovery-plan';
  version: 1;
  ref: string;
  provider: string;
  instance: string;
  credentialKind: string;
  runbook: { id: string; order: RunbookOrder };
  target: {
    state: string;
    currentVersion: string | null;
    owners: string[];
    tier: 'standard' | 'privileged';
    tierReason: string | null;
  };
  /** Exactly these versions lose access. */
  revoke: {
    versions: { versionId: string; fingerprint: string | null; labels: string[] }[];
    mode: string | null;
  };
  /** `fields`: per-field decisions of a multi-field secret (Vault KV), only when the provider reports them. */
  create: { generator: GeneratorSpec; count: 1; fields?: FieldPlan };
  /** Provider limits that bound this recovery, as the provider reported them at plan time. */
  limits: ProviderLimit[];
  /** What the old credential minted (or where its value lives) and what the run does about each. */
  derived: DerivedCredential[];
  steps: PlannedStep[];
  policy: {
    tier: 'standard' | 'privileged';
    quorum: number;
    holdMinutes: number;
    approvalTtlHours: number;
    executorNotApprover: boolean;
  };
}
