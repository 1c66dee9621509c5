/**
 * Which policy governed what, for `nhi audit verify`: each adopted policy with its seq and
 * signers, and how many runs (run.started / run.break-glass) recorded its digest.
 */
import type { AuditArea } from '../store/store.js';
import { POLICY_ADOPTED } from './state.js';

export interface PolicyUse {
  digest: string;
  adoptedAtSeq: number;
  signers: string[];
  runs: number;
}

const RUN_TYPES = new Set(['run.started', 'run.break-glass']);

export async function policyHistory(
  audit: AuditArea,
): Promise<{ policies: PolicyUse[]; runsWithoutPolicy: number }> {
  const policies: PolicyUse[] = [];
  const byDigest = new Map<string, PolicyUse>();
  let runsWithoutPolicy = 0;
  for await (const e of audit.entries()) {
    if (e.type === POLICY_ADOPTED && typeof e.data.policyDigest === 'string') {
      const use: PolicyUse = {
        digest: e.data.policyDigest,
        adoptedAtSeq: e.seq,
        signers: Array.isArray(e.data.signers) ? (e.data.signers as string[]) : [],
        runs: 0,
      };
      policies.push(use);
      // A digest adopted twice (a rollback that was signed again): later runs count for the later adoption.
      byDigest.set(use.digest, use);
    } else if (RUN_TYPES.has(e.type)) {
      const use = typeof e.data.policyDigest === 'string' ? byDigest.get(e.data.policyDigest) : undefined;
      if (use) use.runs++;
      else runsWithoutPolicy++;
    }
  }
  return { policies, runsWithoutPolicy };
}
