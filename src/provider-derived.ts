/**
 * Derived credentials every value-holding kind shares (KV values, Secrets Manager and Key Vault
 * secrets): consumers copy the value into processes, caches, CI variables and files, and no
 * provider can reach those copies. The plan says so, and names the runbook's hook step as the
 * way consumers are told to re-read, or asks for one (ADRs 016, 024, 034).
 */
import type { DerivedCredential, DescribeOptions } from './provider.js';

export function consumerCopies(opts: DescribeOptions | undefined, reread: string): DerivedCredential {
  const hook = opts?.runbook?.steps.find((s) => s.type === 'hook');
  return {
    kind: 'consumer-copies',
    action: 'out-of-reach',
    detail: hook
      ? `copies of the old value read by consumers (processes, caches, CI variables, config files) stay valid until the consumer re-reads; the runbook's hook step (${String(hook.params.hook)}) tells them to ${reread}`
      : `copies of the old value read by consumers (processes, caches, CI variables, config files) stay valid until the consumer re-reads; add a hook step to the runbook so consumers ${reread}`,
  };
}
