/**
 * Offline approval end to end, on OpenBao: the orchestrator exports a request, the owner
 * decides in an empty directory with nothing but the document and their own OpenSSH key (no
 * config, no database), the decision is imported, and the run proceeds. A second owner signs
 * with `ssh-keygen -Y sign`; `audit verify` re-verifies both proofs offline. Edited documents
 * and decisions are refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vaultFixture } from '../providers/vault.fixture.js';
import { CLI, filedRequest, localConfig, scratchDir, signLocalPolicy } from '../runbook/local-app.js';

let configPath: string;
let scratch: ReturnType<typeof scratchDir>;
const ssh: Record<string, string> = {};

/** `nhi` as a real process; the offline side runs in `cwd` with no config in reach. */
function nhi(args: string[], opts: { cwd?: string; offline?: boolean } = {}) {
  const env = { ...process.env };
  delete env.NHI_CONFIG;
  const r = spawnSync(process.execPath, [CLI, ...(opts.offline ? [] : ['--config', configPath]), ...args], {
    cwd: opts.cwd ?? scratch.dir,
    env,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sshKey(owner: string): string {
  const file = join(scratch.dir, `id_ed25519_${owner}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${owner}@laptop`, '-f', file]);
  return file;
}

async function fileRequest(reason = 'INC-77: leaked'): Promise<{ ref: string; id: string; digest: string }> {
  const name = `offline-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const ref = await vaultFixture.seed({ name, value: `old-${name}`, owner: 'alice,bob' });
  const filed = nhi(['request', ref, '--runbook', 'vault-kv-recovery', '--reason', reason, '--as', 'carol']);
  expect(filed.code, filed.stderr).toBe(0);
  return { ref, ...filedRequest(filed.stdout) };
}

function exportRequest(id: string): string {
  const out = join(scratch.dir, `${id}.request.json`);
  const r = nhi(['request', 'export', id, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

beforeAll(async () => {
  await vaultFixture.reset();
  scratch = scratchDir('nhi-offline-');
  configPath = localConfig(scratch.dir, 'offline', { 'vault-test': 'vault-local' });
  // alice and bob register the OpenSSH keys they already have; the policy is re-signed for it.
  ssh.alice = sshKey('alice');
  ssh.bob = sshKey('bob');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  for (const owner of ['alice', 'bob']) {
    config.owners.principals[owner] = { publicKey: readFileSync(`${ssh[owner]}.pub`, 'utf8').trim() };
  }
  writeFileSync(configPath, JSON.stringify(config));
  // Nothing is adopted before the first decision, so the new document is signed afresh.
  signLocalPolicy(configPath);
});

describe('offline approval', () => {
  it('export → decide in an empty directory with an OpenSSH key → import → run', async () => {
    const { ref, id, digest } = await fileRequest();
    const doc = exportRequest(id);
    const exported = readFileSync(doc, 'utf8');
    expect(exported).not.toContain('old-offline');
    expect(JSON.parse(exported)).toMatchObject({ kind: 'nhi-request-document', planDigest: digest });

    const laptop = mkdtempSync(join(tmpdir(), 'nhi-laptop-'));
    writeFileSync(join(laptop, 'req.json'), exported);
    // No terminal and no --digest: nobody saw the plan, nothing is signed.
    const blind = nhi(
      ['approve', '--request-file', 'req.json', '--as', 'alice', '--key', ssh.alice ?? '', '--out', 'd.json'],
      {
        cwd: laptop,
        offline: true,
      },
    );
    expect(blind.code).toBe(2);
    expect(blind.stderr).toContain(`--digest ${digest}`);

    const decided = nhi(
      [
        'approve',
        '--request-file',
        'req.json',
        '--as',
        'alice',
        '--key',
        ssh.alice ?? '',
        '--digest',
        digest,
        '--out',
        'd.json',
      ],
      { cwd: laptop, offline: true },
    );
    expect(decided.code, decided.stderr).toBe(0);
    expect(decided.stdout).toMatch(/^signed: approve of request req_\S+ by alice with key ed25519:/);

    const imported = nhi(['approval', 'import', join(laptop, 'd.json')]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/approved by alice \(1 of 1 required\); ready to run/);
    // The same decision again is a duplicate; exit 3, audited.
    const twice = nhi(['approval', 'import', join(laptop, 'd.json')]);
    expect(twice.code).toBe(3);
    expect(twice.stderr).toMatch(/duplicate-approval/);

    const run = nhi(['run', id, '--as', 'carol']);
    expect(run.code, run.stderr).toBe(0);
    expect(await vaultFixture.liveVersionCount(ref)).toBe(1);
  });

  it('an ssh-keygen -Y sign approval is accepted and re-verified by audit verify', async () => {
    const { id } = await fileRequest();
    const doc = exportRequest(id);
    const payload = nhi(['approve', '--request-file', doc, '--as', 'bob', '--print-payload'], {
      offline: true,
    });
    expect(payload.code, payload.stderr).toBe(0);
    expect(payload.stdout.endsWith('}')).toBe(true);
    const payloadFile = join(scratch.dir, `${id}.payload`);
    writeFileSync(payloadFile, payload.stdout);
    execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-n', 'nhi-approval', '-f', ssh.bob ?? '', payloadFile]);

    const imported = nhi([
      'approval',
      'import',
      '--ssh-signature',
      `${payloadFile}.sig`,
      '--as',
      'bob',
      '--decision',
      'approve',
      '--request-file',
      doc,
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/imported a ssh signature by bob/);
    expect(imported.stdout).toMatch(/approved by bob/);

    // The signature made for "approve" does not pass as a deny, nor as alice's.
    const asDeny = nhi([
      'approval',
      'import',
      '--ssh-signature',
      `${payloadFile}.sig`,
      '--as',
      'bob',
      '--decision',
      'deny',
      '--request-file',
      doc,
    ]);
    expect(asDeny.code).toBe(3);
    const asAlice = nhi([
      'approval',
      'import',
      '--ssh-signature',
      `${payloadFile}.sig`,
      '--as',
      'alice',
      '--decision',
      'approve',
      '--request-file',
      doc,
    ]);
    expect(asAlice.code).toBe(3);
    expect(asAlice.stderr).toMatch(/bad-signature/);

    const verify = nhi(['audit', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/[1-9]\d* signature\(s\) re-verified \(approvals/);
  });

  it('refuses an edited document, an edited decision, a replay onto another request and self-approval', async () => {
    const first = await fileRequest();
    const second = await fileRequest();
    const doc = exportRequest(first.id);
    const original = JSON.parse(readFileSync(doc, 'utf8'));

    // The plan edited in transit: its digest no longer matches, the owner's nhi refuses to show it.
    const planEdited = structuredClone(original);
    planEdited.plan.revoke.versions = [];
    writeFileSync(join(scratch.dir, 'plan-edited.json'), JSON.stringify(planEdited));
    const shown = nhi(['approve', '--request-file', 'plan-edited.json', '--as', 'alice', '--print-payload'], {
      offline: true,
    });
    expect(shown.code).toBe(2);
    expect(shown.stderr).toMatch(/the document was changed after export/);

    // The reason edited: the owner signs the edited reason, and the orchestrator refuses it.
    const reasonEdited = { ...original, request: { ...original.request, reason: 'routine rotation' } };
    writeFileSync(join(scratch.dir, 'reason-edited.json'), JSON.stringify(reasonEdited));
    const signed = nhi(
      [
        'approve',
        '--request-file',
        'reason-edited.json',
        '--as',
        'alice',
        '--key',
        ssh.alice ?? '',
        '--digest',
        first.digest,
        '--out',
        'reason-decision.json',
      ],
      { offline: true },
    );
    expect(signed.code, signed.stderr).toBe(0);
    const reasonImport = nhi(['approval', 'import', 'reason-decision.json']);
    expect(reasonImport.code).toBe(3);
    expect(reasonImport.stderr).toMatch(/signed reason "routine rotation" differs/);

    const good = nhi(
      [
        'approve',
        '--request-file',
        doc,
        '--as',
        'alice',
        '--key',
        ssh.alice ?? '',
        '--digest',
        first.digest,
        '--out',
        'good.json',
      ],
      { offline: true },
    );
    expect(good.code, good.stderr).toBe(0);
    const decision = JSON.parse(readFileSync(join(scratch.dir, 'good.json'), 'utf8'));
    for (const [label, edit, rule] of [
      ['decision flipped', { ...decision, decision: 'deny' }, /bad-signature/],
      ['principal swapped', { ...decision, principal: 'bob' }, /bad-signature/],
      ['replayed onto another request', { ...decision, requestId: second.id }, /replayed approval/],
    ] as const) {
      writeFileSync(join(scratch.dir, 'edited.json'), JSON.stringify(edit));
      const r = nhi(['approval', 'import', 'edited.json']);
      expect(r.code, label).toBe(3);
      expect(r.stderr, label).toMatch(rule);
    }

    const self = nhi(
      [
        'approve',
        '--request-file',
        doc,
        '--as',
        'carol',
        '--key',
        scratch.key('carol'),
        '--digest',
        first.digest,
        '--out',
        'self.json',
      ],
      {
        offline: true,
      },
    );
    expect(self.code).toBe(3);
    expect(self.stderr).toMatch(/self-approval/);
  });
});

describe('on a terminal (a pty from script(1))', () => {
  /** Run the offline approve on a pseudo-terminal, answering `answer` to the question. */
  function onTty(args: string[], answer: string, cwd: string) {
    const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd, input: answer, encoding: 'utf8' });
    return { code: r.status, out: r.stdout };
  }

  it('shows the plan before asking, and signs only on yes', async () => {
    const { id, digest } = await fileRequest();
    const doc = exportRequest(id);
    const laptop = mkdtempSync(join(tmpdir(), 'nhi-tty-'));
    const args = [
      'approve',
      '--request-file',
      doc,
      '--as',
      'alice',
      '--key',
      ssh.alice ?? '',
      '--out',
      'd.json',
    ];

    const no = onTty(args, 'n\n', laptop);
    expect(no.code).toBe(1);
    const revokeAt = no.out.indexOf('nhi will revoke');
    const questionAt = no.out.indexOf(`approve request ${id} (plan ${digest})? [y/N]`);
    expect(revokeAt).toBeGreaterThan(-1);
    expect(questionAt).toBeGreaterThan(revokeAt);
    expect(no.out).toContain('not signed: nothing was written');
    expect(no.out).toContain(`nhi approve --request-file ${doc} --as alice`);
    expect(() => readFileSync(join(laptop, 'd.json'))).toThrow();

    const yes = onTty(args, 'y\n', laptop);
    expect(yes.code, yes.out).toBe(0);
    expect(yes.out).toMatch(/signed: approve of request \S+ by alice/);
    expect(JSON.parse(readFileSync(join(laptop, 'd.json'), 'utf8'))).toMatchObject({
      kind: 'nhi-decision',
      requestId: id,
    });
  });

  it('shows what the request file says with its control characters escaped: a reason cannot clear the screen or reverse text', async () => {
    // What a requester can type: a clear-screen sequence and a right-to-left override.
    const { id } = await fileRequest('INC-78 \x1b[2J\x1b[Hall fine \u202eevil');
    const doc = exportRequest(id);
    const laptop = mkdtempSync(join(tmpdir(), 'nhi-tty-'));
    const shown = onTty(
      ['approve', '--request-file', doc, '--as', 'alice', '--key', ssh.alice ?? '', '--out', 'd.json'],
      'n\n',
      laptop,
    );
    expect(shown.code).toBe(1);
    expect(shown.out).toContain('INC-78 \\u001b[2J\\u001b[Hall fine \\u202eevil');
    expect(shown.out).not.toContain('\x1b[2J');
    expect(shown.out).not.toContain('\u202e');
  });
});
