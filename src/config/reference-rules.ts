/**
 * Config rules for names and paths that are only used late — during a run, after revoke — so
 * they are checked where they are written instead (STYLE.md "Check references where they are
 * written"): schedule times (the same parse `nhi serve` uses) and delivery locations.
 */
import type { ConfigProblem } from '../lib/errors.js';
import { scheduleTimeProblems } from '../schedule/cron-check.js';
import type { ParsedConfig } from './schema.js';

/** Every schedule's cron expression and time zone parse exactly as `nhi serve` parses them. */
export function checkScheduleTimes(config: ParsedConfig): ConfigProblem[] {
  return Object.entries(config.schedules).flatMap(([name, s]) => scheduleTimeProblems(name, s));
}

// Secrets Manager secret names: letters, digits and /_+=.@- (the AWS name rule).
const SECRET_NAME_CHARS = /^[A-Za-z0-9/_+=.@-]+$/;

/**
 * Where minted credentials are delivered: a Vault KV v2 `mount/path` (AppRole secret-ids,
 * tokens) or a Secrets Manager name prefix (IAM key pairs). A malformed one would only fail at
 * reissue, with the old credential already revoked.
 */
export function checkDeliveryPaths(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [instance, p] of Object.entries(config.providers)) {
    if (p.type === 'vault') {
      const kvPath = (path: string, value: string) => {
        const problem = kvPathProblem(value);
        if (problem) {
          problems.push({
            path,
            message: `delivery path ${problem}`,
            expected: 'a KV v2 "mount/path" such as "secret/nhi-delivery"',
            found: JSON.stringify(value),
          });
        }
      };
      if (p.kinds.includes('approle'))
        kvPath(`providers.${instance}.approle.deliveryPath`, p.approle.deliveryPath);
      if (p.kinds.includes('token') && p.token.deliveryPath !== undefined)
        kvPath(`providers.${instance}.token.deliveryPath`, p.token.deliveryPath);
    } else if (p.type === 'aws' && p.kinds.includes('iam-key')) {
      const prefix = p.iam.deliveryPrefix;
      if (prefix === '' || !SECRET_NAME_CHARS.test(prefix)) {
        problems.push({
          path: `providers.${instance}.iam.deliveryPrefix`,
          message: 'delivery prefix is not a usable Secrets Manager name prefix',
          expected: 'letters, digits and /_+=.@- such as "nhi/iam-keys/"',
          found: JSON.stringify(prefix),
        });
      }
    }
  }
  return problems;
}

function kvPathProblem(value: string): string | undefined {
  // deliveryLocator() drops trailing slashes, so "secret/nhi-delivery/" is fine.
  const segments = value.replace(/\/+$/, '').split('/');
  if (segments.length < 2) return 'needs a mount and a path below it';
  if (segments.some((s) => s === '')) return 'has an empty segment (a leading or doubled "/")';
  if (segments.some((s) => s === '.' || s === '..')) return 'may not contain "." or ".." segments';
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return 'may not contain spaces or control characters';
  return undefined;
}
