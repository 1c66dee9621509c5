/**
 * The one parse of a schedule's cron expression and time zone, used by `nhi config check`
 * (config rules) and by `nhi serve` (the Scheduler), so the check cannot accept what serve
 * later refuses. It is the `cron` package's own CronTime, the same constructor CronJob uses.
 */
import { createRequire } from 'node:module';
import type { ConfigProblem } from '../lib/errors.js';

// Required on the first schedule checked, not imported: config loading is synchronous and runs
// on every start, and a config without schedules should not load `cron` and luxon (issue 17).
const requireCron = createRequire(import.meta.url);
let cronTime: typeof import('cron').CronTime | undefined;
function CronTimeClass(): typeof import('cron').CronTime {
  cronTime ??= (requireCron('cron') as typeof import('cron')).CronTime;
  return cronTime;
}

export function scheduleTimeProblems(
  name: string,
  schedule: { cron: string; timezone: string },
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const CronTime = CronTimeClass();
  let cronOk = true;
  try {
    new CronTime(schedule.cron, 'UTC');
  } catch (error) {
    cronOk = false;
    problems.push({
      path: `schedules.${name}.cron`,
      message: `invalid cron expression: ${error instanceof Error ? error.message : String(error)}`,
      expected: 'a cron expression such as "0 2 * * *" (minute hour day-of-month month day-of-week)',
      found: JSON.stringify(schedule.cron),
    });
  }
  // The time zone is checked apart so a bad expression does not hide a bad zone (or the reverse).
  try {
    new CronTime(cronOk ? schedule.cron : '0 0 * * *', schedule.timezone);
  } catch (error) {
    problems.push({
      path: `schedules.${name}.timezone`,
      message: `unknown time zone: ${error instanceof Error ? error.message : String(error)}`,
      expected: 'an IANA time zone such as "UTC" or "Europe/Berlin"',
      found: JSON.stringify(schedule.timezone),
    });
  }
  return problems;
}
