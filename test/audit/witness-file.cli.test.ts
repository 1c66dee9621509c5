/**
 * Issue 10: signed checkpoints reach a file witness (append-only JSONL) after each commit, and
 * `nhi audit verify --witness file:PATH` proves the store still extends them — catching a
 * truncation, a rewrite, and a fork re-signed with the audit key, none of which the chain alone
 * can always see. Real recoveries through the CLI (in process) against the local OpenBao.
 */
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vaultFixture } from '../providers/vault.fixture.js';
import { filedRequest, localConfig, ROOT, scratchDir } from '../runbook/local-app.js';
import { nhi, rewriteChain, sql, truncateAfter } from './tamper.js';

interface Scenario {
  config: string;
  db: string;
  witness: string;
  key(owner: string): string;
}

function scenario(name: string, witnessDir = 'worm'): Scenario {
  const scratch = scratchDir(`nhi-witness-${name}-`);
  const dir = join(scratch.dir, witnessDir);
  if (witnessDir === 'worm') mkdirSync(dir);
  const witness = join(dir, 'nhi-audit.jsonl');
  const config = localConfig(
    scratch.dir,
    name,
    { 'vault-test': 'vault-local' },
    { audit: { witnesses: [{ type: 'file', name: 'worm', path: witness }] } },
  );
  return { config, db: join(scratch.dir, `${name}.db`), witness, key: scratch.key };
}

/** request (carol) -> approve (alice) -> optionally run (bob); returns the request id. */
async function recover(s: Scenario, opts: { run?: boolean } = {}): Promise<string> {
  const ref = await vaultFixture.seed({
    name: `witness-${Date.now().toString(36)}`,
    value: 'old',
    owner: 'alice',
  });
  const filed = await nhi(
    s.config,
    'request',
    ref,
    '--runbook',
    'vault-kv-recovery',
    '--reason',
    'INC-10',
    '--as',
    'carol',
  );
  expect(filed.code, filed.stderr).toBe(0);
  const { id, digest } = filedRequest(filed.stdout);
  const approved = await nhi(
    s.config,
    'approve',
    id,
    '--as',
    'alice',
    '--key',
    s.key('alice'),
    '--digest',
    digest,
  );
  expect(approved.code, approved.stderr).toBe(0);
  if (opts.run !== false) {
    const run = await nhi(s.config, 'run', id, '--as', 'bob');
    expect(run.code, run.stderr).toBe(0);
  }
  return id;
}

const witnessed = (s: Scenario) =>
  readFileSync(s.witness, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; seq: number; hash: string });
const storeCheckpoints = (s: Scenario) =>
  sql<{ seq: number; hash: string }>(s.db, 'SELECT seq, hash FROM audit_checkpoints ORDER BY seq');
const entryOf = (s: Scenario, type: string) =>
  sql<{ seq: number }>(s.db, 'SELECT seq FROM audit_entries WHERE type = ? ORDER BY seq', type);

describe('file witness: delivery, and nhi audit verify --witness file:', () => {
  it('delivers every signed checkpoint once committed; verify --witness passes (by path and by name)', async () => {
    const s = scenario('deliver');
    await recover(s);
    const checkpoints = storeCheckpoints(s);
    // approval.recorded and run.completed at least; every one of them reached the witness.
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(witnessed(s).map((r) => [r.kind, r.seq, r.hash])).toEqual(
      checkpoints.map((c) => ['nhi-audit-checkpoint', c.seq, c.hash]),
    );
    const ok = await nhi(s.config, 'audit', 'verify', '--witness', `file:${s.witness}`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(
      `witness file:${s.witness}: the store extends it (${checkpoints.length} checkpoint(s)`,
    );
    const byName = await nhi(s.config, '--json', 'audit', 'verify', '--witness', 'worm');
    expect(byName.code, byName.stdout).toBe(0);
    expect(JSON.parse(byName.stdout)).toMatchObject({
      ok: true,
      witnesses: [{ ok: true, records: checkpoints.length, newestWitnessedSeq: checkpoints.at(-1)?.seq }],
      witnessDelivery: [{ name: 'worm', type: 'file', deliveredSeq: checkpoints.at(-1)?.seq, failures: 0 }],
    });
    const usage = await nhi(s.config, 'audit', 'verify', '--witness', 'ftp://nowhere');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('file:PATH | s3://BUCKET/PREFIX');
  });

  it('detects truncation: the newest entries deleted together with their checkpoints (and rows)', async () => {
    const s = scenario('truncate');
    await recover(s);
    const runEnd = entryOf(s, 'run.completed')[0]?.seq ?? 0;
    const second = await recover(s, { run: false });
    const approvalSeq = entryOf(s, 'approval.recorded').at(-1)?.seq ?? 0;
    expect(witnessed(s).map((r) => r.seq)).toContain(approvalSeq);
    // The attacker rolls the store back to the end of the first run, rows included.
    truncateAfter(s.db, runEnd);
    sql(s.db, 'DELETE FROM approvals WHERE request_id = ?', second);
    sql(s.db, 'DELETE FROM requests WHERE id = ?', second);

    const chainOnly = await nhi(s.config, 'audit', 'verify');
    expect(chainOnly.code, chainOnly.stderr).toBe(0); // a valid earlier state: the chain cannot tell
    const bad = await nhi(s.config, 'audit', 'verify', '--witness', `file:${s.witness}`);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      new RegExp(
        `does NOT extend its witness: .*truncated: .*signed at seq ${approvalSeq}, but the store ends at seq ${runEnd}`,
      ),
    );
    const json = JSON.parse((await nhi(s.config, '--json', 'audit', 'verify', '--witness', 'worm')).stdout);
    expect(json).toMatchObject({
      ok: false,
      witnesses: [{ ok: false, problem: { kind: 'truncated', seq: approvalSeq } }],
    });
  });

  it('detects a rewrite: a witnessed entry changed and the chain re-hashed without the key', async () => {
    const s = scenario('rewrite');
    await recover(s);
    const approvalSeq = entryOf(s, 'approval.recorded')[0]?.seq ?? 0;
    rewriteChain(s.db, (row) =>
      row.seq === approvalSeq
        ? { ...row, data: JSON.stringify({ ...JSON.parse(row.data), requestStatus: 'denied' }) }
        : row,
    );
    const bad = await nhi(s.config, '--json', 'audit', 'verify', '--witness', `file:${s.witness}`);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      witnesses: [{ ok: false, problem: { kind: 'rewritten', seq: approvalSeq } }],
    });
  });

  it('detects a fork re-signed with the audit signing key, which the chain alone accepts', async () => {
    const s = scenario('fork');
    await recover(s);
    const intent = entryOf(s, 'step.intent')[0]?.seq ?? 0;
    const firstCheckpointAfter = storeCheckpoints(s).find((c) => c.seq >= intent)?.seq;
    const auditKey = createPrivateKey(readFileSync(join(ROOT, 'examples/keys/audit.key'), 'utf8'));
    // Move the time of a revoke intent and re-sign every checkpoint: a consistent, signed history.
    rewriteChain(
      s.db,
      (row) => (row.seq === intent ? { ...row, ts: '2020-01-01T00:00:00.000Z' } : row),
      auditKey,
    );

    const chainOnly = await nhi(s.config, 'audit', 'verify');
    expect(chainOnly.code, chainOnly.stderr).toBe(0);
    const bad = await nhi(s.config, 'audit', 'verify', '--witness', `file:${s.witness}`);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /forked: fork: the store's checkpoint at seq \d+ is validly signed over a different history/,
    );
    const json = JSON.parse((await nhi(s.config, '--json', 'audit', 'verify', '--witness', 'worm')).stdout);
    expect(json.witnesses[0].problem).toMatchObject({ kind: 'forked', seq: firstCheckpointAfter });
  });

  it('a failed delivery loses nothing: it is reported by audit verify and sent by a later command', async () => {
    const s = scenario('unreachable', 'not-mounted-yet');
    await recover(s);
    expect(existsSync(s.witness)).toBe(false);
    const newest = storeCheckpoints(s).at(-1)?.seq ?? 0;
    const pending = await nhi(s.config, '--json', 'audit', 'verify');
    expect(pending.code).toBe(0); // a stuck witness is not tampering
    expect(JSON.parse(pending.stdout).witnessDelivery[0]).toMatchObject({
      name: 'worm',
      newestCheckpointSeq: newest,
      lastError: 'cannot append to witness file (ENOENT)',
    });
    const human = await nhi(s.config, 'audit', 'verify');
    expect(human.stdout).toMatch(
      /warning: witness "worm" \(file\) has checkpoints up to seq \d+ of \d+; last error: cannot append/,
    );

    mkdirSync(join(s.witness, '..'));
    expect((await nhi(s.config, 'status')).code).toBe(0); // any command ends by publishing what is pending
    expect(witnessed(s).at(-1)?.seq).toBe(newest);
    const ok = await nhi(s.config, '--json', 'audit', 'verify', '--witness', 'worm');
    expect(JSON.parse(ok.stdout)).toMatchObject({
      ok: true,
      witnessDelivery: [{ deliveredSeq: newest, failures: 0 }],
    });
  });
});
