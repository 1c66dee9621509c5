/**
 * Runbook rules that need the config: every hook and notify target a step names must be
 * defined. Checked wherever a runbook meets a config — `nhi config check`, runbook loading in
 * the app, and planning — so a typo stops the command (exit 2) before any provider call,
 * not at the hook step after the old credential was revoked.
 */
import { oneOf, unknownNotifyTargets } from '../config/rules.js';
import type { ParsedConfig } from '../config/schema.js';
import { ConfigError, type ConfigProblem } from '../lib/errors.js';
import { hasOwnKey } from '../lib/own.js';
import type { RunbookStep } from './schema.js';

export type ReferenceConfig = Pick<ParsedConfig, 'hooks' | 'notify'>;

interface RunbookRule {
  name: string;
  check(step: Pick<RunbookStep, 'type' | 'params'>, at: string, config: ReferenceConfig): ConfigProblem[];
}

const RUNBOOK_RULES: readonly RunbookRule[] = [
  {
    name: 'hook-defined',
    check(step, at, config) {
      if (step.type !== 'hook') return [];
      const hook = String(step.params.hook);
      if (hasOwnKey(config.hooks, hook)) return [];
      return [
        {
          path: `${at}.params.hook`,
          message: `unknown hook "${hook}"`,
          expected: oneOf(Object.keys(config.hooks), '(no hooks defined under "hooks" in the config)'),
          found: JSON.stringify(hook),
        },
      ];
    },
  },
  {
    name: 'notify-targets-defined',
    check(step, at, config) {
      if (step.type !== 'notify' || !Array.isArray(step.params.targets)) return [];
      return unknownNotifyTargets(config, `${at}.params.targets`, step.params.targets.map(String));
    },
  },
];

/** A loaded runbook, or the runbook part of a signed plan (whose steps the executor runs). */
export interface StepsOf {
  id: string;
  source?: string;
  steps: readonly Pick<RunbookStep, 'id' | 'type' | 'params'>[];
}

/** Problems of one runbook against the config; each path names the runbook id, file and step id. */
export function runbookReferenceProblems(runbook: StepsOf, config: ReferenceConfig): ConfigProblem[] {
  return runbook.steps.flatMap((step, i) => {
    const from = runbook.source ? ` (${runbook.source})` : '';
    const at = `runbook ${runbook.id}${from}: steps[${i}] "${step.id}"`;
    return RUNBOOK_RULES.flatMap((rule) => rule.check(step, at, config));
  });
}

export function checkRunbookReferences(runbooks: Iterable<StepsOf>, config: ReferenceConfig): void {
  const list = [...runbooks];
  const problems = list.flatMap((rb) => runbookReferenceProblems(rb, config));
  if (problems.length === 0) return;
  const ids = [
    ...new Set(list.filter((rb) => runbookReferenceProblems(rb, config).length > 0).map((rb) => rb.id)),
  ];
  throw new ConfigError(
    `runbook(s) ${ids.join(', ')} name ${problems.length} hook(s) or notify target(s) the config does not define`,
    problems,
  );
}
