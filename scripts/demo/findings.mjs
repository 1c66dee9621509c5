// The findings step: show the open findings of the demo's identities and check that scan #2
// found what the seed set up (re-enabled, orphaned, expired-enabled).
import { check, nhi, say } from './lib.mjs';

const isDemo = (ref, extra) =>
  ref.includes('nhi-demo') || ref.includes(':demo-') || extra.some((x) => ref.includes(x));

/**
 * expectedReenabled: ref substrings that must have an open "reenabled" finding;
 * entityRefs: the demo's Vault entities (their refs are ids, not names).
 */
export function showFindings(expectedReenabled, entityRefs) {
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
  const dormant = byType.dormant ?? 0;
  say(
    dormant === 0
      ? 'No "dormant" findings, and that is honest: dormancy is age-based (no use for longer than ' +
          'dormantDays, here 1 day, or never used and older than that) and everything was created ' +
          'minutes ago. The never-used IAM keys and never-read secrets will be flagged by a scan tomorrow.'
      : `${dormant} "dormant" finding(s): identities seeded by an earlier run on these servers are now over a day old.`,
  );
}
