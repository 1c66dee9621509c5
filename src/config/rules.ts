import { keyIdOf, publicKeyFrom } from '../audit/keys.js';
import type { ConfigProblem } from '../lib/errors.js';
import { hasOwnKey } from '../lib/own.js';
import { checkAuditWitnessRules } from './audit-rules.js';
import { checkControlOwnerRules } from './policy-rules.js';
import { checkDeliveryPaths, checkScheduleTimes } from './reference-rules.js';
import type { ParsedConfig } from './schema.js';
import { checkWebRules } from './web-rules.js';

export interface RuleContext {
  /** The config file's directory: resolves `file:` keys. */
  baseDir: string;
}

/** One cross-field rule (changesets' rules.ts shape): a name for tests and docs, and its check. */
export interface ConfigRule {
  name: string;
  check(config: ParsedConfig, ctx: RuleContext): ConfigProblem[];
}

/**
 * Cross-field rules the schema cannot express: every name used must be defined, every
 * principal has a key of its own, and what is used only late (schedule times, delivery paths)
 * is checked now. Runbooks' references to hooks and notify targets are checked where runbooks
 * are loaded (src/runbook/references.ts), since the config alone does not hold them.
 */
export const CONFIG_RULES: readonly ConfigRule[] = [
  { name: 'distinct-principal-keys', check: (c, ctx) => checkDistinctPrincipalKeys(c, ctx.baseDir) },
  { name: 'policy-notify-targets', check: checkPolicyNotifyTargets },
  { name: 'team-members-registered', check: checkTeamMembers },
  { name: 'break-glass-known', check: checkBreakGlass },
  { name: 'schedule-references', check: checkScheduleReferences },
  { name: 'schedule-times', check: checkScheduleTimes },
  { name: 'delivery-paths', check: checkDeliveryPaths },
  { name: 'audit-witnesses', check: checkAuditWitnessRules },
  { name: 'control-owners', check: checkControlOwnerRules },
  { name: 'approval-page', check: checkWebRules },
];

export function checkConfigRules(config: ParsedConfig, opts: RuleContext): ConfigProblem[] {
  return CONFIG_RULES.flatMap((rule) => rule.check(config, opts));
}

/** `expected` for a name that must be one of `names`. */
export function oneOf(names: Iterable<string>, none: string): string {
  const list = [...names].sort();
  return list.length > 0 ? `one of: ${list.join(', ')}` : none;
}

/** Problems for each of `names` (at `path[i]`) that is not a notify target. */
export function unknownNotifyTargets(
  config: Pick<ParsedConfig, 'notify'>,
  path: string,
  names: readonly string[],
): ConfigProblem[] {
  const known = Object.keys(config.notify);
  return names.flatMap((n, i) =>
    hasOwnKey(config.notify, n)
      ? []
      : [
          {
            path: `${path}[${i}]`,
            message: `unknown notify target "${n}"`,
            expected: oneOf(known, '(no notify targets defined under "notify")'),
            found: JSON.stringify(n),
          },
        ],
  );
}

function checkPolicyNotifyTargets(config: ParsedConfig): ConfigProblem[] {
  return [
    ...unknownNotifyTargets(config, 'policy.standard.alert', config.policy.standard.alert),
    ...unknownNotifyTargets(config, 'policy.privileged.alert', config.policy.privileged.alert),
    ...unknownNotifyTargets(config, 'policy.securityAlert', config.policy.securityAlert),
  ];
}

function checkTeamMembers(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [team, members] of Object.entries(config.owners.teams)) {
    members.forEach((m, i) => {
      if (!hasOwnKey(config.owners.principals, m)) {
        problems.push({
          path: `owners.teams.${team}[${i}]`,
          message: `team member "${m}" is not a registered principal`,
          expected: 'a name under owners.principals',
          found: JSON.stringify(m),
        });
      }
    });
  }
  return problems;
}

function checkBreakGlass(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.owners.breakGlass.forEach((n, i) => {
    if (!hasOwnKey(config.owners.principals, n) && !hasOwnKey(config.owners.teams, n)) {
      problems.push({
        path: `owners.breakGlass[${i}]`,
        message: `"${n}" is neither a principal nor a team`,
        expected: 'a name under owners.principals or owners.teams',
        found: JSON.stringify(n),
      });
    }
  });
  return problems;
}

function checkScheduleReferences(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [name, schedule] of Object.entries(config.schedules)) {
    schedule.providers.forEach((p, i) => {
      if (!hasOwnKey(config.providers, p)) {
        problems.push({
          path: `schedules.${name}.providers[${i}]`,
          message: `unknown provider instance "${p}"`,
          expected: oneOf(Object.keys(config.providers), '(no provider instances)'),
          found: JSON.stringify(p),
        });
      }
    });
    if (schedule.alerts)
      problems.push(
        ...unknownNotifyTargets(config, `schedules.${name}.alerts.notify`, schedule.alerts.notify),
      );
  }
  return problems;
}

/**
 * One public key under two principal names would let one key holder count as two owners (a
 * privileged quorum of 2 met by one person). Keys are compared by key id (sha256 of the SPKI
 * DER), so the same key written inline, as another PEM file or with other whitespace is caught.
 * A key that does not load is reported by the public-key check, not here.
 */
function checkDistinctPrincipalKeys(config: ParsedConfig, baseDir: string): ConfigProblem[] {
  const byKey = new Map<string, string[]>();
  for (const [name, p] of Object.entries(config.owners.principals)) {
    let keyId: string;
    try {
      keyId = keyIdOf(publicKeyFrom(p.publicKey, baseDir, `owners.principals.${name}.publicKey`));
    } catch {
      continue;
    }
    byKey.set(keyId, [...(byKey.get(keyId) ?? []), name]);
  }
  const problems: ConfigProblem[] = [];
  for (const [keyId, names] of byKey) {
    if (names.length < 2) continue;
    const quoted = names.map((n) => `"${n}"`);
    const list = `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
    problems.push({
      path: `owners.principals.${names[1]}.publicKey`,
      message: `principals ${list} have the same public key; one key holder would count as ${names.length} distinct owners (a quorum counts keys, not names)`,
      expected: 'a key pair of its own for every principal (nhi keygen --out PREFIX)',
      found: `key ${keyId} under ${names.join(', ')}`,
    });
  }
  return problems;
}
