#!/usr/bin/env node
// `npm run demo`: local servers, a seeded estate, two scans, three owner-approved recoveries,
// lineage and the audit log — all through the real `nhi` CLI. Exit 0 only if every step did
// what it says; otherwise exit 1 naming the step.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup } from './cleanup.mjs';
import { KEYVAULT, keyvaultIsFake, shiftKeyVaultTime } from './clients.mjs';
import { writeDemoConfig } from './config.mjs';
import { countAll, entities, NS, reenabledRefs } from './estate.mjs';
import { showFindings } from './findings.mjs';
import { CA_PEM, CLI, CONFIG, check, current, DemoError, nhi, OUT_DIR, ROOT, say, step } from './lib.mjs';
import { recover } from './recover.mjs';
import { flipBack, seedAws, seedAzure, seedVault } from './seed.mjs';

/** How far the Key Vault emulator's clock is moved back for the demo's secrets. */
const AGE_DAYS = 200;

async function main() {
  step('Start the local servers');
  say('nhi talks to three local stand-ins: moto for AWS, an OpenBao dev server for Vault, and a');
  say('local Key Vault. The script below installs them the first time (that takes a minute) and');
  say('leaves running servers alone.');
  console.log('\n  $ bash test/servers/servers.sh up');
  const up = spawnSync('bash', ['test/servers/servers.sh', 'up'], { cwd: ROOT, stdio: 'inherit' });
  check(up.status === 0, `servers.sh up exited ${up.status}`);
  check(existsSync(join(ROOT, CLI)), `${CLI} is missing: run "npm run build" first`);

  step('Write a demo config and start from a clean slate');
  writeDemoConfig();
  const removed = await cleanup();
  say(`The demo config is ${CONFIG}: the servers of test/servers/local.config.json, a`);
  say(`fresh state database in ${OUT_DIR}/, AWS scoped to secrets named "nhi-demo/..." and IAM users under`);
  say('path /nhi-demo/, Vault to the KV mount "nhi-demo" and AppRole mount "nhi-demo-approle",');
  say('privileged hold 0.1 minutes (6 s) and dormant threshold 1 day.');
  say(`Leftovers of an earlier demo run removed: ${removed.aws} AWS secrets, ${removed.iam} IAM users,`);
  say(`${removed.vault} OpenBao mounts/entities, ${removed.azure} Key Vault secrets.`);
  say('Every nhi command below can be pasted from the repository root after this one:');
  console.log(`\n  $ export NODE_EXTRA_CA_CERTS=${CA_PEM}`);
  say("(it makes Node trust the local Key Vault's self-signed certificate)");

  step('Check the config');
  nhi(['config', 'check']);

  step(`Seed an estate of ${countAll()} non-human identities`);
  say('Straight through the provider APIs (not nhi), like the teams that own them would:');
  say('Secrets Manager secrets and IAM users with access keys in moto, KV secrets, AppRole');
  say('secret-ids and identity entities in OpenBao, secrets in Key Vault. Owners come from an');
  say('"owner" tag (alice, bob, carol, the payments team, ...); some have no owner tag, some name');
  say('a team nhi does not know (marketing-team, data-team, vendor-x); some are tier=privileged.');
  await seedAws();
  const entityIds = await seedVault();
  await seedAzure();
  say('A few are switched off before the first scan: an AWS secret is deleted (7-day recovery');
  say('window), an IAM key is made Inactive, a KV secret is soft-deleted, an OpenBao entity is');
  say('disabled and a Key Vault secret version is disabled.');

  step(`Age the Key Vault secrets by ${AGE_DAYS} days`);
  say('Two findings are about age: "dormant" (not used for longer than dormantDays or, where the');
  say('provider records no use at all, created longer ago than that) and "long-lived" (not rotated');
  say('for longer than maxAgeDays). Everything above is minutes old, so neither could show today.');
  say("For Key Vault we move the emulator's clock, the way Lowkey Vault's time-shift does: every");
  say(`timestamp of the demo's secrets (created, updated, not-before, expiry) moves ${AGE_DAYS} days into`);
  say('the past. Nothing in nhi is faked: it reads the dates the vault reports. moto and OpenBao have');
  say('no such switch, so their identities stay minutes old.');
  const fake = await keyvaultIsFake();
  console.log(
    `\n  $ curl -X PUT -H 'Content-Type: application/json' -d '{}' --cacert ${CA_PEM} '${KEYVAULT}/management/vault/time/all?seconds=${AGE_DAYS * 86_400}&namePrefix=${NS}-'`,
  );
  await shiftKeyVaultTime(AGE_DAYS * 86_400, `${NS}-`);
  say(
    fake
      ? `(namePrefix is the repo fake's extension: only the "${NS}-..." secrets move, not those of other tools.)`
      : '(This is a Lowkey Vault jar: it ignores namePrefix and moves every secret in the vault.)',
  );

  step('Scan #1: the baseline');
  say('The first scan walks every provider, stores a snapshot of each identity and computes');
  say('findings. The report goes to a JSON file; the line below is the summary.');
  nhi(['scan', '--format', 'json', '--out', `${OUT_DIR}/scan-1.json`]);

  step('Someone quietly switches things back on');
  for (const line of await flipBack()) say(`- ${line}`);

  step('Scan #2: what changed, as an HTML report');
  say('The second scan compares every identity with its snapshot from scan #1: whatever was');
  say('disabled or deleted then and is enabled now is a "reenabled" finding.');
  nhi(['scan', '--format', 'html', '--out', `${OUT_DIR}/report.html`]);
  check(existsSync(join(ROOT, OUT_DIR, 'report.html')), 'the HTML report was not written');

  step('Findings');
  const entityRef = (e) => `vault-local:entity:${entityIds[e.name]}`;
  const expected = [...reenabledRefs, ...entities.filter((e) => e.state === 'flip').map(entityRef)];
  showFindings(expected, entities.map(entityRef), AGE_DAYS);

  await recover();

  step('Where everything is');
  say(`HTML report:      ${OUT_DIR}/report.html   (scan #1 as JSON: ${OUT_DIR}/scan-1.json)`);
  say(`Incident report:  ${OUT_DIR}/incident.md`);
  say(`State database:   ${OUT_DIR}/nhi-state.db`);
  say(`Audit export:     ${OUT_DIR}/audit.jsonl`);
  say(`Demo config:      ${CONFIG}`);
  say('The servers keep running: "npm run servers:down" stops them. Run "npm run demo" again');
  say('to start over; tomorrow, on the same servers, the never-used AWS and Vault identities seeded');
  say(
    `today show up as dormant too: node ${CLI} --config ${CONFIG} scan && node ${CLI} --config ${CONFIG} findings --type dormant`,
  );
  console.log('\nDemo completed: every step did what it said.');
}

main().catch((error) => {
  const where = current() || 'setup';
  if (error instanceof DemoError) console.error(`\nDEMO FAILED at step ${where}: ${error.message}`);
  else console.error(`\nDEMO FAILED at step ${where}: ${error?.stack ?? error}`);
  process.exit(1);
});
