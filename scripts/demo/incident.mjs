// The incident half of the demo: a compromised CI runner held every credential carol's CI
// jobs use, across AWS, Vault and Key Vault. One selection, one incident, one signature by
// their owner, one concurrent run; then the incident report.
import { check, nhi, OUT_DIR, say, step } from './lib.mjs';

/** Whatever the demo's CI owns: carol's credentials whose ref mentions "ci" (see estate.mjs). */
const SELECT = ['--select', 'ref:*-local:*:*ci*,owner:carol'];

export function incident(key) {
  step('A CI runner was compromised: recover everything it could read, as one incident');
  say("The runner held every credential of carol's CI jobs, in AWS, Vault and Key Vault. sec-oncall");
  say('selects them in one expression (all terms must match; several --select are a union) and');
  say('looks at the plan first: one plan per target, and one incident digest over all of them.');
  const { json: plan } = nhi(['incident', 'plan', ...SELECT], { json: true, show: false });
  nhi(['incident', 'plan', ...SELECT]);
  const targets = plan?.document?.targets ?? [];
  check(targets.length >= 3, `expected at least 3 CI targets, the plan has ${targets.length}`);

  say('sec-oncall files it, bound to the digest she reviewed: one ordinary request per target,');
  say('one notice to the owners with their share and the command that approves it.');
  const { json: filed } = nhi(
    [
      'incident',
      'request',
      ...SELECT,
      '--reason',
      'INC-103: CI runner compromised',
      '--as',
      'sec-oncall',
      '--key',
      key('sec-oncall'),
      '--digest',
      plan.digest,
    ],
    { json: true },
  );
  const id = filed?.incident?.id;
  check(typeof id === 'string', 'nhi incident request printed no incident id');

  say(`carol owns all ${targets.length}: she approves her whole share with ONE signature (a Merkle root`);
  say("over the share's request ids and plan digests; each request keeps its inclusion proof).");
  const approved = nhi([
    'incident',
    'approve',
    id,
    '--as',
    'carol',
    '--key',
    key('carol'),
    '--digest',
    plan.digest,
  ]);
  check(/with one signature/.test(approved.stdout), 'the share was not approved with one signature');

  say('sec-oncall runs the incident: every approved target concurrently, each provider paced by');
  say('its own write limiter. Killed at any point, "nhi incident resume" finishes each target once.');
  nhi(['incident', 'run', id, '--as', 'sec-oncall', '--key', key('sec-oncall')]);

  say('The incident report: every target with its versions before and after, approvers and lineage.');
  nhi(['incident', 'status', id]);
  nhi(['incident', 'status', id, '--format', 'markdown', '--out', `${OUT_DIR}/incident.md`]);
  const { json: status } = nhi(['incident', 'status', id], { json: true, show: false });
  check(
    status?.counts?.completed === targets.length,
    `expected ${targets.length} completed targets, the report shows ${status?.counts?.completed}`,
  );
  return targets.length;
}
