import type { ConfigProblem } from '../lib/errors.js';
import { hasOwnKey } from '../lib/own.js';
import type { ParsedConfig } from './schema.js';

/** `policy.controlOwners` names registered principals, each once, and a quorum they can reach. */
export function checkControlOwnerRules(config: ParsedConfig): ConfigProblem[] {
  const control = config.policy.controlOwners;
  if (!control) return [];
  const problems: ConfigProblem[] = [];
  control.principals.forEach((n, i) => {
    if (!hasOwnKey(config.owners.principals, n)) {
      problems.push({
        path: `policy.controlOwners.principals[${i}]`,
        message: `control owner "${n}" is not a registered principal`,
        expected: 'a name under owners.principals',
        found: JSON.stringify(n),
      });
    } else if (control.principals.indexOf(n) !== i) {
      problems.push({
        path: `policy.controlOwners.principals[${i}]`,
        message: `control owner "${n}" is listed twice (a quorum counts distinct keys)`,
        found: JSON.stringify(n),
      });
    }
  });
  const distinct = new Set(control.principals).size;
  if (control.quorum > distinct) {
    problems.push({
      path: 'policy.controlOwners.quorum',
      message: `quorum ${control.quorum} can never be met by ${distinct} control owner(s)`,
      expected: `at most ${distinct}`,
      found: String(control.quorum),
    });
  }
  return problems;
}
