import { ConfigError } from '../lib/errors.js';
import type { ProviderType } from '../provider.js';
import type { Runbook } from '../runbook/schema.js';

/**
 * Which runbook recovers each kind in an incident: the one revoke-then-reissue runbook that
 * applies to it (an incident is a compromise: the attacker loses access first), unless
 * `--runbook ID` names one for that provider type and kind.
 */
export interface RunbookChoice {
  /** The runbook id for this provider type and kind, or why there is none. */
  forKind(type: ProviderType, kind: string): { id: string } | { reason: string };
}

export function runbookChoice(runbooks: Map<string, Runbook>, given: readonly string[]): RunbookChoice {
  const chosen = new Map<string, string>();
  for (const id of given) {
    const rb = runbooks.get(id);
    if (!rb) {
      throw new ConfigError(`no runbook "${id}"`, [
        {
          path: '--runbook',
          message: `unknown runbook "${id}"`,
          expected: [...runbooks.keys()].join(', ') || '(no runbooks loaded)',
          found: JSON.stringify(id),
        },
      ]);
    }
    const key = `${rb.appliesTo.provider} ${rb.appliesTo.kind}`;
    const other = chosen.get(key);
    if (other && other !== id)
      throw new ConfigError(`--runbook ${other} and --runbook ${id} both apply to ${key}: give one`);
    chosen.set(key, id);
  }
  return {
    forKind(type, kind) {
      const key = `${type} ${kind}`;
      const given = chosen.get(key);
      if (given) return { id: given };
      const candidates = [...runbooks.values()].filter(
        (rb) =>
          rb.appliesTo.provider === type && rb.appliesTo.kind === kind && rb.order === 'revoke-then-reissue',
      );
      if (candidates.length === 1) return { id: (candidates[0] as Runbook).id };
      if (candidates.length === 0) return { reason: `no revoke-then-reissue runbook applies to ${key}` };
      return {
        reason: `several runbooks apply to ${key} (${candidates.map((c) => c.id).join(', ')}): choose one with --runbook`,
      };
    },
  };
}
