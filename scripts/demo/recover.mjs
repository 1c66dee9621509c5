// The recovery half of the demo: request, owner approvals (a privileged quorum of two and a
// hold), revoke-then-reissue runs, lineage, the audit log and the status overview.
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { recoveries } from './estate.mjs';
import { incident } from './incident.mjs';
import { check, nhi, OUT_DIR, ROOT, say, sleep, step } from './lib.mjs';

/**
 * Principals keep their private keys to themselves, mode 0600 (nhi refuses a key others can
 * read). git does not keep that mode, so the published example keys are copied into place:
 * the owners' (to approve) and carol's (the demo config sets policy.requireSignedActors, so
 * she signs her requests and runs too).
 */
function key(who) {
  const path = join(OUT_DIR, 'keys', `${who}.key`);
  if (!existsSync(join(ROOT, path))) {
    mkdirSync(join(ROOT, OUT_DIR, 'keys'), { recursive: true });
    copyFileSync(join(ROOT, 'examples/keys', `${who}.key`), join(ROOT, path));
    chmodSync(join(ROOT, path), 0o600);
  }
  return path;
}

function fileRequest(r, reason) {
  const out = nhi([
    'request',
    r.ref,
    '--runbook',
    r.runbook,
    '--reason',
    reason,
    '--as',
    'carol',
    '--key',
    key('carol'),
  ]);
  const m = out.stdout.match(/request (\S+) filed \((\w+)\); plan digest (\S+)/);
  check(m, `could not read the request id and plan digest from "nhi request" output`);
  return { id: m[1], tier: m[2], digest: m[3] };
}

function approve(req, who) {
  const out = nhi(['approve', req.id, '--as', who, '--key', key(who), '--digest', req.digest]);
  return out.stdout;
}

function run(req) {
  const out = nhi(['run', req.id, '--as', 'carol', '--key', key('carol')]);
  const m = out.stdout.match(/run (\S+): (\S+)/);
  check(m?.[2] === 'completed', `run of ${req.id} did not complete: ${out.stdout.trim()}`);
  return m[1];
}

export async function recover() {
  const { vault, aws, azure } = recoveries;

  step('The policy is signed by its control owner');
  say('The owner registry, tiers and approval policy form a policy document. sec-oncall, its named');
  say('control owner (policy.controlOwners), signs its digest; nhi pins her key in the audit log and');
  say('refuses every request, approval and run under a policy she has not signed (exit code 2).');
  nhi(['policy', 'sign', '--as', 'sec-oncall', '--key', key('sec-oncall')]);
  nhi(['policy', 'show']);

  step('A credential leaked: recover the Vault KV secret nhi-demo/payments/db');
  say('carol from the platform team learns that the payments database password was pasted into a');
  say('CI log. First a dry run: "plan" shows what would be revoked and created, and the plan digest');
  say('that approvals will be bound to. It changes nothing.');
  nhi(['plan', vault.ref, '--runbook', vault.runbook]);
  say('carol files the recovery request, signed with her own key: the demo config sets');
  say('policy.requireSignedActors, so "--as carol" is proven, not just claimed. She cannot approve');
  say('it herself: the owner must.');
  const vReq = fileRequest(vault, 'INC-101: payments DB password pasted into a CI log');
  check(vReq.tier === 'standard', `expected a standard-tier request, got ${vReq.tier}`);
  say('Now alice, the owner of payments/db, reviews the plan digest and approves with her key.');
  say('Her approval is an Ed25519 signature over (request, plan digest, decision, expiry).');
  approve(vReq, 'alice');
  say('carol runs it: revoke first (every live version destroyed, so the leaked value is dead),');
  say('then write a new generated value, verify it, and record the lineage.');
  run(vReq);

  step('The privileged one: AWS secret nhi-demo/payments/db-admin (tier=privileged)');
  say('The same CI log held the admin credential. It is tagged tier=privileged and owned by the');
  say('payments team (alice and bob), so two distinct owners must approve, a hold (cool-off) must');
  say('pass after the last approval, and whoever executes must not be one of the approvers.');
  const aReq = fileRequest(aws, 'INC-101: payments DB admin secret in the same CI log');
  check(aReq.tier === 'privileged', `expected a privileged request, got ${aReq.tier}`);
  say('alice approves first: one of two.');
  const first = approve(aReq, 'alice');
  check(/\(1 of 2 required\)/.test(first), 'the first privileged approval did not report 1 of 2');
  say('bob approves second: the quorum is met and the hold starts.');
  const second = approve(aReq, 'bob');
  const hold = second.match(/hold until (\S+)/)?.[1];
  check(hold, 'the second approval did not start a hold');
  say('Trying to run it right away is refused by policy (exit code 3): the hold has not passed.');
  nhi(['run', aReq.id, '--as', 'carol', '--key', key('carol')], { expect: [3] });
  const waitMs = Math.max(0, Date.parse(hold) - Date.now()) + 1000;
  say(`Waiting out the hold (${Math.ceil(waitMs / 1000)} s; in production it is typically an hour)...`);
  await sleep(waitMs);
  say('alice cannot execute what she approved (separation of duties), even signing as herself:');
  nhi(['run', aReq.id, '--as', 'alice', '--key', key('alice')], { expect: [3] });
  say('Nor can she pass for carol: a run "--as carol" must be signed with carol\'s key.');
  nhi(['run', aReq.id, '--as', 'carol', '--key', key('alice')], { expect: [3] });
  say('carol, who approved nothing, runs it: the old version loses its AWSCURRENT label, a new');
  say('value is put, verified, and made current.');
  run(aReq);

  step('Azure Key Vault: recover nhi-demo-payments-webhook-secret');
  say('The payments webhook signing secret, owned by bob, is recovered the same way: every enabled');
  say('version is disabled, then a new version is set and tagged with the run id.');
  const zReq = fileRequest(azure, 'INC-102: webhook signing secret shared in a support ticket');
  say('bob approves with his key.');
  approve(zReq, 'bob');
  run(zReq);

  const incidentTargets = incident(key);

  step('Lineage: old credential -> new credential, who asked, approved and executed');
  say('One table per recovered identity (the --json form of each is checked for a record too):');
  for (const r of [vault, aws, azure]) {
    nhi(['lineage', r.ref]);
    const { json } = nhi(['lineage', r.ref], { json: true, show: false });
    check(json?.lineage?.length >= 1, `no lineage record for ${r.ref}`);
  }
  say('The same chain as a Mermaid diagram (paste it into any Markdown that renders Mermaid):');
  nhi(['lineage', aws.ref, '--format', 'mermaid']);

  step('The audit log');
  say('Every request, approval (with its signature), step and lineage record is in a hash-chained');
  say('log with signed checkpoints. "audit verify" recomputes the chain and re-checks every');
  say('approval signature, offline.');
  nhi(['audit', 'verify']);
  say('(and with --json, checked for "ok": true)');
  const { json: verdict } = nhi(['audit', 'verify'], { json: true, show: false });
  check(verdict?.ok === true, 'audit verify did not report ok');
  say('Export it as JSON lines for a SIEM:');
  nhi(['audit', 'export', '--out', `${OUT_DIR}/audit.jsonl`]);
  check(existsSync(join(ROOT, OUT_DIR, 'audit.jsonl')), 'the audit export was not written');

  step('Status: every request and run');
  nhi(['status']);
  const { json: st } = nhi(['status'], { json: true, show: false });
  const runs = st?.runs ?? [];
  check(
    runs.length === 3 + incidentTargets && runs.every((r) => r.status === 'completed'),
    `expected ${3 + incidentTargets} completed runs in status`,
  );
}
