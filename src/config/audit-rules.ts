import type { ConfigProblem } from '../lib/errors.js';
import type { ParsedConfig } from './schema.js';

/** Cross-field rules for `audit.witnesses`: unique names, and an S3 witness knows how to reach AWS. */
export function checkAuditWitnessRules(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const awsInstances = Object.entries(config.providers)
    .filter(([, p]) => p.type === 'aws')
    .map(([n]) => n);
  config.audit.witnesses.forEach((w, i) => {
    const path = `audit.witnesses[${i}]`;
    if (seen.has(w.name)) {
      problems.push({
        path: `${path}.name`,
        message: `witness name "${w.name}" is used twice`,
        expected: 'a name unique among audit.witnesses',
        found: JSON.stringify(w.name),
      });
    }
    seen.add(w.name);
    if (w.type !== 's3') return;
    if (w.aws !== undefined) {
      if (!awsInstances.includes(w.aws)) {
        problems.push({
          path: `${path}.aws`,
          message: `unknown aws provider instance "${w.aws}"`,
          expected: `one of: ${awsInstances.join(', ') || '(no aws instances defined)'}`,
          found: JSON.stringify(w.aws),
        });
      }
      if (w.region || w.endpoint || w.credentials) {
        problems.push({
          path,
          message: 'give either "aws" (a provider instance) or region/endpoint/credentials, not both',
        });
      }
    } else if (!w.region || !w.credentials) {
      problems.push({
        path,
        message: 'an s3 witness needs "aws" (a provider instance name) or both "region" and "credentials"',
        expected: '"aws": "<instance>" or "region" + "credentials"',
      });
    }
  });
  return problems;
}
