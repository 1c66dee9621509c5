// The findings step: show the open findings of the demo's identities and check that scan #2
// found what the seed set up (re-enabled, orphaned, expired-enabled, and dormant / long-lived on the
// Key Vault secrets whose timestamps the emulator's time shift moved back).
import { check, nhi, say } from './lib.mjs';

const isDemo = (ref, extra) =>
  ref.includes('nhi-demo') || ref.includes(':demo-') || extra.some((x) => ref.includes(x));

/**
 * expectedReenabled: ref substrings that must have an open "reenabled" finding;
 * entityRefs: the demo's Vault entities (their refs are ids, not names).
 */
export function showFindings(expectedReenabled, entityRefs, ageDays) {
  say('Every finding has a first-seen / last-seen date and is resolved when a later scan no');
  say('longer sees it, so a nightly job only alerts on what is new. Open findings of the demo');
  say("identities (the shared servers may hold other tools' identities; their rows are hidden):");
  const r = nhi(['findings', '--open'], {
    maxLines: 80,
    show: (out) => {
      const lines = out.split('\n');
      const rows = lines.slice(2).filter((l) => /^\S/.test(l) && !/finding\(s\)$/.test(l));
      const kept = rows.filter((l) => isDemo(l, entityRefs));
      return [
        ...lines.slice(0, 2),
        ...kept,
        `(${kept.length} demo findings shown, ${rows.length - kept.length} others hidden)`,
      ].join('\n');
    },
  });
  check(r.code === 0, 'findings failed');

  say('The same as JSON, for scripts (read and checked here, not printed):');
  const { json } = nhi(['findings', '--open'], { json: true, show: false });
  const open = (json.findings ?? []).filter((f) => isDemo(f.ref, entityRefs));
  const byType = {};
  for (const f of open) byType[f.type] = (byType[f.type] ?? 0) + 1;
  say(
    `Open demo findings by type: ${
      Object.entries(byType)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ') || 'none'
    }.`,
  );

  const missing = expectedReenabled.filter(
    (ref) => !open.some((f) => f.type === 'reenabled' && f.ref.includes(ref)),
  );
  check(missing.length === 0, `scan #2 did not report these as re-enabled: ${missing.join(', ')}`);
  check(
    (byType.orphaned ?? 0) >= 6,
    `expected at least 6 orphaned demo identities, found ${byType.orphaned ?? 0}`,
  );
  check(byType['expired-enabled'] >= 1, 'the expired Key Vault secret was not reported as expired-enabled');
  say(
    `All ${expectedReenabled.length} identities switched back on were flagged "reenabled", on all three providers;`,
  );
  say('those without a registered owner are "orphaned"; the Key Vault secret whose expiry passed');
  say('is "expired-enabled".');
  const azureOf = (type) => open.filter((f) => f.type === type && f.ref.startsWith('azure-local:'));
  const others = (type) => open.filter((f) => f.type === type && !f.ref.startsWith('azure-local:'));
  const azDormant = azureOf('dormant');
  const azLongLived = azureOf('long-lived');
  check(azDormant.length >= 1, `no "dormant" finding on the Key Vault secrets aged by ${ageDays} days`);
  check(azLongLived.length >= 1, `no "long-lived" finding on the Key Vault secrets aged by ${ageDays} days`);
  check(
    azDormant.every((f) => /no last-use signal: age-based/.test(f.summary)),
    'a Key Vault "dormant" finding is not the age-based kind',
  );
  say(
    `The ${ageDays}-day-old Key Vault secrets: ${azDormant.length} "dormant" (Key Vault has no last-use signal, ` +
      `so the finding says so and goes by age: "${azDormant[0].summary}") and ${azLongLived.length} "long-lived" ` +
      `("${azLongLived[0].summary}").`,
  );
  const young = others('dormant').length + others('long-lived').length;
  say(
    young === 0
      ? 'None on AWS or OpenBao, and that is honest: their identities were created minutes ago and ' +
          'their clocks were not moved. The never-used IAM keys and never-read secrets will be flagged by a scan tomorrow.'
      : `${young} "dormant"/"long-lived" finding(s) on AWS or OpenBao: identities seeded by an earlier run on these servers are now over a day old.`,
  );
}
