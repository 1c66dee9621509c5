import { keyIdOf, publicKeyFrom } from '../audit/keys.js';
import type { ConfigProblem } from '../lib/errors.js';
import { checkAuditWitnessRules } from './audit-rules.js';
import { checkControlOwnerRules } from './policy-rules.js';
import type { ParsedConfig } from './schema.js';

/**
 * Cross-field rules the schema cannot express: every name used must be defined, and every
 * principal has a key of its own. `baseDir` (the config file's directory) resolves `file:` keys.
 */
export function checkConfigRules(config: ParsedConfig, opts: { baseDir: string }): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  problems.push(...checkDistinctPrincipalKeys(config, opts.baseDir));
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
  problems.push(...checkAuditWitnessRules(config));
  problems.push(...checkControlOwnerRules(config));
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
