/**
 * Offline approval of an incident share, in process through runCli, on the local OpenBao:
 * `nhi incident export --as P` writes P's share; P decides it with no config and no database
 * (`nhi incident approve --request-file`, an nhi PEM key, or `ssh-keygen -Y sign` over
 * `--print-payload` with a registered OpenSSH key); `nhi approval import` records it through
 * decideIncident, so every request of the share counts the owner's approval. A decision file
 * edited in transit (payload, subset, decision) is refused, and so is one whose share changed
 * on the orchestrator since it was exported (a target excluded, a target run). All real crypto.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/lib/canonical.js';
import {
  approversOf,
  exportShare,
  file,
  fileIncident,
  keys,
  nhi,
  offline,
  setupWorld,
  signWithKey,
  status,
} from './offline-world.js';

beforeAll(setupWorld);

/** A command line as its words (the scratch paths hold no spaces). */
const words = (line: string) => line.split(' ');

describe('offline approval of an incident share', () => {
  it('export → decide offline (nhi key; ssh-keygen -Y sign) → import: each request of the share counts the approval', async () => {
    const { id, digest, refs } = await fileIncident();
    const share = await exportShare(id, 'alice');
    const text = readFileSync(share, 'utf8');
    expect(text).not.toContain('old-offinc');
    const doc = JSON.parse(text);
    expect(doc).toMatchObject({
      kind: 'nhi-incident-share',
      principal: 'alice',
      incident: { id, digest, requester: 'carol' },
      payload: { kind: 'nhi-incident-approval', incidentId: id, incidentDigest: digest, targets: 4 },
      // The shortest lifetime of the share's tiers: the privileged target's 4 h.
      approvalTtlHours: 4,
    });
    expect(doc.payload).not.toHaveProperty('expiresAt');
    expect(doc.targets.map((t: { plan: { ref: string } }) => t.plan.ref).sort()).toEqual(
      [refs.a1, refs.a2, refs.ab, refs.p1].sort(),
    );

    // No terminal and no --digest: nobody saw the plans, nothing is signed.
    const blind = await offline(
      ...words(`incident approve --request-file ${share} --as alice`),
      '--key',
      keys.alice as string,
      '--out',
      file('blind.json'),
    );
    expect(blind.code).toBe(2);
    expect(blind.stderr).toContain(`--digest ${digest}`);
    const aliceDecision = file(`${id}-alice.decision.json`);
    const signed = await signWithKey(share, 'alice', digest, aliceDecision);
    expect(signed.stdout).toMatch(
      /^signed: approve of 4 target\(s\) of incident \S+ by alice with key ed25519:/,
    );

    const imported = await nhi('approval', 'import', aliceDecision);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/imported a ed25519 signature by alice/);
    expect(imported.stdout).toMatch(/approved by alice: 4 target\(s\)/);
    let s = await status(id);
    for (const ref of [refs.a1, refs.a2, refs.ab]) expect(approversOf(s, ref), ref).toEqual(['alice']);
    expect(approversOf(s, refs.p1)).toEqual(['alice']);
    expect(approversOf(s, refs.b1)).toEqual([]);
    expect(s.targets.find((t) => t.ref === refs.p1)?.quorum).toEqual({ have: 1, need: 2 });

    // The same decision again: alice has nothing left to decide; refused, exit 3.
    const twice = await nhi('approval', 'import', aliceDecision);
    expect(twice.code).toBe(3);
    expect(twice.stderr).toMatch(/share-changed/);
    expect(twice.stderr).toMatch(/already decided by you/);

    // bob signs his share (ab, b1 and p1) with ssh-keygen over the exact printed bytes.
    const bobShare = await exportShare(id, 'bob');
    const payload = await offline(
      ...words(`incident approve --request-file ${bobShare} --as bob --print-payload`),
    );
    expect(payload.code, payload.stderr).toBe(0);
    expect(JSON.parse(payload.stdout)).toMatchObject({
      kind: 'nhi-incident-approval',
      principal: 'bob',
      targets: 3,
    });
    expect(payload.stdout).toBe(canonicalJson(JSON.parse(payload.stdout)));
    const payloadFile = file(`${id}-bob.payload`);
    writeFileSync(payloadFile, payload.stdout);
    execFileSync('ssh-keygen', [...words('-q -Y sign -n nhi-approval -f'), keys.bob as string, payloadFile]);
    // The signature of an approve is not a deny.
    const bySsh = (decision: string, out: string) =>
      offline(
        ...words(
          `incident ${decision} --request-file ${bobShare} --as bob --ssh-signature ${payloadFile}.sig --out ${out}`,
        ),
      );
    const asDeny = await bySsh('deny', file('bob-deny.json'));
    expect(asDeny.code).toBe(2);
    const bobDecision = file(`${id}-bob.decision.json`);
    const made = await bySsh('approve', bobDecision);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(readFileSync(bobDecision, 'utf8')).proof.method).toBe('ssh');
    const bobImport = await nhi('approval', 'import', bobDecision);
    expect(bobImport.code, bobImport.stderr).toBe(0);
    expect(bobImport.stdout).toMatch(/imported a ssh signature by bob/);

    s = await status(id);
    expect(approversOf(s, refs.ab)).toEqual(['alice', 'bob']);
    expect(approversOf(s, refs.b1)).toEqual(['bob']);
    expect(approversOf(s, refs.p1)).toEqual(['alice', 'bob']);
    expect(s.counts['awaiting-approval']).toBe(0);
    // Every imported proof re-verifies offline from the audit log.
    const verify = await nhi('audit', 'verify');
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('refuses a decision file edited in transit (payload, subset, decision), and records nothing', async () => {
    const { id, digest, refs } = await fileIncident();
    const other = await fileIncident();
    const share = await exportShare(id, 'alice');
    const decisionFile = file(`${id}-alice.decision.json`);
    await signWithKey(share, 'alice', digest, decisionFile);
    const good = JSON.parse(readFileSync(decisionFile, 'utf8'));

    // The share document edited in transit: the owner's nhi refuses to show or sign it (exit 2).
    const doc = JSON.parse(readFileSync(share, 'utf8'));
    const planEdited = structuredClone(doc);
    planEdited.targets[0].plan.revoke.versions = [];
    const dropped = structuredClone(doc);
    dropped.targets = dropped.targets.slice(1);
    const widened = structuredClone(doc);
    widened.incident.plan.targets = widened.incident.plan.targets.slice(1);
    for (const [label, edited, message] of [
      [
        'a plan edited',
        planEdited,
        /targets\[0\]: its plan hashes to .* the document was changed after export/,
      ],
      ['a target dropped', dropped, /payload\.targets is 4, but the document's share gives 3/],
      ['the incident plan edited', widened, /its incident plan hashes to/],
    ] as const) {
      writeFileSync(file('share-edited.json'), JSON.stringify(edited));
      const r = await offline(
        'incident',
        'approve',
        '--request-file',
        file('share-edited.json'),
        '--as',
        'alice',
        '--print-payload',
      );
      expect(r.code, label).toBe(2);
      expect(r.stderr, label).toMatch(message);
    }
    // Only the owner the share was exported for can sign it; the requester never.
    const notHers = await offline(
      'incident',
      'approve',
      '--request-file',
      share,
      '--as',
      'bob',
      '--print-payload',
    );
    expect(notHers.code).toBe(3);
    expect(notHers.stderr).toMatch(/this is alice's share/);
    expect(
      (await nhi('incident', 'export', id, '--as', 'carol', '--out', file('carol.json'))).stderr,
    ).toMatch(/self-approval/);
    const payload = JSON.parse(good.proof.signedPayload);
    const withPayload = (edit: Record<string, unknown>) => ({
      ...good,
      proof: { ...good.proof, signedPayload: canonicalJson({ ...payload, ...edit }) },
    });
    const earlier = new Date(Date.parse(payload.expiresAt) - 60_000).toISOString();
    const cases: [string, unknown, RegExp][] = [
      [
        'payload reason edited',
        withPayload({ reason: 'routine rotation' }),
        /signed reason "routine rotation" differs/,
      ],
      ['payload expiry edited', withPayload({ expiresAt: earlier }), /bad-signature.*does not verify/],
      ['subset shortened', { ...good, subset: good.subset.slice(1) }, /edited after signing/],
      [
        'a leaf re-pointed at another plan',
        {
          ...good,
          subset: [{ ...good.subset[0], planDigest: `sha256:${'0'.repeat(64)}` }, ...good.subset.slice(1)],
        },
        /edited after signing/,
      ],
      ['decision flipped', { ...good, decision: 'deny' }, /the signature is for "approve", not "deny"/],
      ['principal swapped', { ...good, principal: 'bob' }, /signature names principal alice, not bob/],
      ['replayed onto another incident', { ...good, incidentId: other.id }, /made for incident/],
    ];
    for (const [label, edited, message] of cases) {
      writeFileSync(file('edited.json'), JSON.stringify(edited));
      const r = await nhi('approval', 'import', file('edited.json'));
      expect(r.code, `${label}: ${r.stderr}`).toBe(3);
      expect(r.stderr, label).toMatch(message);
    }
    const untouched = await status(id);
    for (const ref of Object.values(refs)) expect(approversOf(untouched, ref), ref).toEqual([]);
    // The refusals left no half-decided share: the genuine file still imports.
    const r = await nhi('approval', 'import', decisionFile);
    expect(r.code, r.stderr).toBe(0);
  });

  it('refuses a decision whose share changed since export: a target excluded, a target run', async () => {
    const { id, digest, refs } = await fileIncident();
    const share = await exportShare(id, 'alice');
    const decisionFile = file(`${id}-alice.decision.json`);
    await signWithKey(share, 'alice', digest, decisionFile);

    const excluded = await nhi(
      'incident',
      'exclude',
      id,
      refs.a2,
      '--as',
      'carol',
      '--reason',
      'not exposed',
    );
    expect(excluded.code, excluded.stderr).toBe(0);
    const refused = await nhi('approval', 'import', decisionFile);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refused \(share-changed\)/);
    expect(refused.stderr).toContain(`${refs.a2} (`);
    expect(refused.stderr).toMatch(/excluded from the incident/);
    expect(refused.stderr).toContain(`nhi incident export ${id} --as alice`);

    // Exported again (a1, ab, p1) and signed; meanwhile bob approves his share and ab runs.
    const again = await exportShare(id, 'alice');
    expect(JSON.parse(readFileSync(again, 'utf8')).targets).toHaveLength(3);
    const second = file(`${id}-alice.second.json`);
    await signWithKey(again, 'alice', digest, second);
    const bob = await nhi(
      'incident',
      'approve',
      id,
      '--as',
      'bob',
      '--key',
      keys.bob as string,
      '--digest',
      digest,
    );
    expect(bob.code, bob.stderr).toBe(0);
    const run = await nhi('incident', 'run', id, '--as', 'carol');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const ran = (await status(id)).targets.find((t) => t.ref === refs.ab);
    expect(ran?.state).toBe('completed');
    const stale = await nhi('approval', 'import', second);
    expect(stale.code).toBe(3);
    expect(stale.stderr).toMatch(/refused \(share-changed\)/);
    expect(stale.stderr).toContain(`${refs.ab} (${ran?.requestId}) is no longer in the share: request is`);

    // What is left (a1, p1), exported and signed anew, imports.
    const last = file(`${id}-alice.third.json`);
    await signWithKey(await exportShare(id, 'alice'), 'alice', digest, last);
    const ok = await nhi('approval', 'import', last);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/approved by alice: 2 target\(s\)/);
  });
});
