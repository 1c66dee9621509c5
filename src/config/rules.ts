import type { ConfigProblem } from '../lib/errors.js';
import type { ParsedConfig } from './schema.js';

/** Cross-field rules the schema cannot express: every name used must be defined. */
export function checkConfigRules(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const notifyNames = new Set(Object.keys(config.notify));
  const providerNames = new Set(Object.keys(config.providers));
  const principals = new Set(Object.keys(config.owners.principals));
  const teams = new Set(Object.keys(config.owners.teams));

  const needNotify = (path: string, names: readonly string[]) => {
    names.forEach((n, i) => {
      if (!notifyNames.has(n)) {
        problems.push({
          path: `${path}[${i}]`,
          message: `unknown notify target "${n}"`,
          expected: `one of: ${[...notifyNames].join(', ') || '(no notify targets defined)'}`,
          found: JSON.stringify(n),
        });
      }
    });
  };

  needNotify('policy.standard.alert', config.policy.standard.alert);
  needNotify('policy.privileged.alert', config.policy.privileged.alert);
  needNotify('policy.securityAlert', config.policy.securityAlert);

  for (const [team, members] of Object.entries(config.owners.teams)) {
    members.forEach((m, i) => {
      if (!principals.has(m)) {
        problems.push({
          path: `owners.teams.${team}[${i}]`,
          message: `team member "${m}" is not a registered principal`,
          expected: 'a name under owners.principals',
          found: JSON.stringify(m),
        });
      }
    });
  }
  config.owners.breakGlass.forEach((n, i) => {
    if (!principals.has(n) && !teams.has(n)) {
      problems.push({
        path: `owners.breakGlass[${i}]`,
        message: `"${n}" is neither a principal nor a team`,
        expected: 'a name under owners.principals or owners.teams',
        found: JSON.stringify(n),
      });
    }
  });

  for (const [name, schedule] of Object.entries(config.schedules)) {
    schedule.providers.forEach((p, i) => {
      if (!providerNames.has(p)) {
        problems.push({
          path: `schedules.${name}.providers[${i}]`,
          message: `unknown provider instance "${p}"`,
          expected: `one of: ${[...providerNames].join(', ')}`,
          found: JSON.stringify(p),
        });
      }
    });
    if (schedule.alerts) needNotify(`schedules.${name}.alerts.notify`, schedule.alerts.notify);
  }
  return problems;
}
