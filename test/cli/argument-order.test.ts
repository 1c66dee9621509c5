/**
 * Issue 16 (CLI habits): usage errors come in the order a user reads the command line.
 * `nhi plan` with nothing after it said "--runbook not specified" before the missing <ref>.
 */
import { describe, expect, it } from 'vitest';
import { nhi } from './child.js';

describe('arguments are checked in reading order (issue 16)', () => {
  it('nhi plan: the missing ref first, then --runbook', () => {
    const bare = nhi(['plan']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("missing required argument 'ref'");
    expect(bare.stderr).not.toContain('--runbook');

    const withRef = nhi(['plan', 'aws-prod:secret:db']);
    expect(withRef.code).toBe(2);
    expect(withRef.stderr).toContain("required option '--runbook <id>' not specified");
  });

  it('nhi run: the request id before --as; a required option is still required', () => {
    expect(nhi(['run']).stderr).toContain("missing required argument 'request-id'");
    const noAs = nhi(['run', 'req_1']);
    expect(noAs.code).toBe(2);
    expect(noAs.stderr).toContain("required option '--as <principal>' not specified");
    // A command without arguments reports its required option as before.
    expect(nhi(['keygen']).stderr).toContain("required option '--out <prefix>' not specified");
  });

  it('an unknown command, subcommand or option gets a suggestion', () => {
    const command = nhi(['scna']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('(Did you mean scan?)');
    expect(nhi(['audit', 'verfy']).stderr).toContain('(Did you mean verify?)');
    expect(nhi(['scan', '--formt', 'json']).stderr).toContain('(Did you mean --format?)');
  });

  it('a misspelt finding type or severity lists the valid ones and the nearest', () => {
    const type = nhi(['findings', '--type', 'dormnt']);
    expect(type.code).toBe(2);
    expect(type.stderr).toContain('--type: unknown finding type "dormnt" (did you mean "dormant"?)');
    expect(type.stderr).toContain('one of: dormant, reenabled, orphaned, long-lived, expired-enabled');
    const severity = nhi(['scan', '--fail-on', 'hgih']);
    expect(severity.code).toBe(2);
    expect(severity.stderr).toContain('--fail-on: unknown severity "hgih" (did you mean "high"?)');
    expect(severity.stderr).toContain('one of: info, low, medium, high, critical');
  });
});
