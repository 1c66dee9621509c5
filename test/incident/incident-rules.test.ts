/**
 * The incident rules on the real engine over the narrow fake provider (the wire is covered by
 * incident.e2e.test.ts): what one share signature covers and what it does not, denial,
 * exclusion, tampering with the incident row, one target failing among many, and break-glass
 * over a whole incident followed by the owners' retrospective reviews.
 */
import type { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recordDecision } from '../../src/approval/decisions/decide.js';
import { ownerRegistryFromConfig } from '../../src/approval/owners/owner-registry.js';
import { auditClaimCheckers } from '../../src/approval/signing/audit-claims.js';
import { crossCheckStore } from '../../src/audit/cross-check/index.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { decideIncident } from '../../src/incident/decide.js';
import { excludeTarget } from '../../src/incident/exclude.js';
import { runIncident } from '../../src/incident/execute.js';
import { fileIncident } from '../../src/incident/file.js';
import { parseSelectors } from '../../src/incident/select.js';
import { incidentStatus } from '../../src/incident/status.js';
import { PolicyError, ProviderError } from '../../src/lib/errors.js';
import { createLogger } from '../../src/log.js';
import { createNotifier } from '../../src/notify/notifier.js';
import { createRequest } from '../../src/runbook/requests.js';
import { startRun } from '../../src/runbook/runs.js';
import { createHarness, type Harness } from '../runbook/harness.js';

function setup(owners: Record<string, string>) {
  const h = createHarness();
  for (const [name, owner] of Object.entries(owners)) h.provider.seed(name, `old-${name}`, { owner });
  return h;
}

const decisionDeps = (h: Harness) => ({
  store: h.store,
  audit: h.deps.audit,
  config: h.config,
  notifier: h.deps.notifier,
  registry: ownerRegistryFromConfig(h.config),
});

async function file(h: Harness, select = 'kind:secret') {
  const selectors = parseSelectors([select], { config: h.config, baseDir: process.cwd() });
  return fileIncident(h.deps, {
    selection: { selectors, runbooks: [] },
    reason: 'INC-9 runner',
    requester: 'carol',
  });
}

const decide = (
  h: Harness,
  incidentId: string,
  principal: string,
  decision: 'approve' | 'deny' = 'approve',
) =>
  decideIncident(decisionDeps(h), {
    incidentId,
    principal,
    decision,
    now: new Date(),
    privateKey: h.keys[principal] as KeyObject,
  });

const status = (h: Harness, id: string) =>
  incidentStatus(
    { store: h.store, config: h.config, registry: ownerRegistryFromConfig(h.config), now: h.deps.now },
    id,
  );

async function auditIntact(h: Harness): Promise<void> {
  const verdict = await verifyAudit(h.store.audit, h.auditPublicKey, auditClaimCheckers(h.config));
  expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
  const rows = await crossCheckStore(h.store);
  expect(rows.ok, JSON.stringify(rows)).toBe(true);
}

describe('incident rules', () => {
  it('tells the owners once per incident and the requester once per decision; no value in any notice', async () => {
    const h = createHarness({
      env: { HOOK_SECRET: 'hook-secret-for-the-test' },
      config: {
        notify: {
          owners: {
            type: 'webhook',
            url: 'http://127.0.0.1:9/owners',
            secret: 'env:HOOK_SECRET',
            events: ['request.created', 'approval'],
            attempts: 1,
          },
        },
      },
    });
    const sent: { event: string; subject: string; summary: string; data: Record<string, unknown> }[] = [];
    h.deps.notifier = createNotifier({
      targets: h.config.notify,
      deliveries: h.store.deliveries,
      logger: createLogger({ level: 'silent' }),
      fetchImpl: (async (_url: string | URL, init?: RequestInit) => {
        sent.push(JSON.parse(String(init?.body)));
        return new Response('ok', { status: 200 });
      }) as typeof fetch,
    });
    for (const [name, owner] of Object.entries({ a1: 'alice', a2: 'alice', b1: 'bob' }))
      h.provider.seed(name, `old-value-${name}`, { owner });
    const { incident } = await file(h);
    await decide(h, incident.id, 'alice');
    expect(sent.map((n) => [n.event, n.subject])).toEqual([
      ['request.created.incident', incident.id],
      ['approval.decision', incident.id],
    ]);
    const filed = sent[0]?.data as { owners: { principal: string; refs: string[]; approve: string }[] };
    expect(filed.owners.map((o) => [o.principal, o.refs.length])).toEqual([
      ['alice', 2],
      ['bob', 1],
    ]);
    expect(filed.owners[0]?.approve).toBe(
      `nhi incident approve ${incident.id} --as alice --key <private-key-file> --digest ${incident.digest}`,
    );
    expect(sent[1]?.summary).toBe(`incident ${incident.id}: alice approved 2 target(s), 2 ready to run`);
    expect(sent[1]?.data.recipients).toEqual([{ principal: 'carol' }]);
    expect(JSON.stringify(sent)).not.toMatch(/old-value-/);
  });

  it('one share signature counts for exactly the requests of that share', async () => {
    const h = setup({ a1: 'alice', a2: 'alice', b1: 'bob' });
    const { incident } = await file(h);
    const outcome = await decide(h, incident.id, 'alice');
    expect(outcome.decided.map((d) => d.ref).sort()).toEqual(['fake:secret:a1', 'fake:secret:a2']);
    expect(outcome.decided.every((d) => d.status === 'approved')).toBe(true);

    // Replay alice's share signature onto a request outside the share: it does not count.
    h.provider.seed('a3', 'old-a3', { owner: 'alice' });
    const other = await createRequest(h.deps, {
      ref: 'fake:secret:a3',
      runbookId: 'aws-secret-recovery',
      reason: 'INC-9 runner',
      requester: 'carol',
    });
    const [copied] = await h.store.approvals.forRequest(incident.requests[0]?.requestId as string);
    await h.store.approvals.insert({
      ...(copied as NonNullable<typeof copied>),
      id: 'apr_forged',
      requestId: other.id,
      planDigest: other.planDigest,
    });
    await expect(startRun(h.deps, { requestId: other.id, executor: 'carol' })).rejects.toThrow(
      /does not cover request/,
    );

    const results = await runIncident(h.deps, { incidentId: incident.id, executor: 'carol', resume: false });
    expect(Object.fromEntries(results.map((r) => [r.ref, r.outcome]))).toEqual({
      'fake:secret:a1': 'completed',
      'fake:secret:a2': 'completed',
      'fake:secret:b1': 'waiting',
    });
    // bob's decision later, then the rest runs; nothing runs twice.
    await decide(h, incident.id, 'bob');
    const again = await runIncident(h.deps, { incidentId: incident.id, executor: 'carol', resume: false });
    expect(again.map((r) => r.outcome).sort()).toEqual([
      'already-completed',
      'already-completed',
      'completed',
    ]);
    expect(h.provider.live('a1')).toHaveLength(1);
    expect((await status(h, incident.id)).counts.completed).toBe(3);
  });

  it("a deny closes the owner's share; an excluded target never runs; both audited and cross-checked", async () => {
    const h = setup({ a1: 'alice', a2: 'alice', b1: 'bob', b2: 'bob' });
    const { incident } = await file(h);
    await decide(h, incident.id, 'bob', 'deny');
    await excludeTarget(h.deps, {
      incidentId: incident.id,
      ref: 'fake:secret:a2',
      by: 'carol',
      reason: 'decommissioned last week',
    });
    await decide(h, incident.id, 'alice');
    const results = await runIncident(h.deps, { incidentId: incident.id, executor: 'carol', resume: false });
    expect(Object.fromEntries(results.map((r) => [r.ref, r.outcome]))).toMatchObject({
      'fake:secret:a1': 'completed',
      'fake:secret:a2': 'excluded',
      'fake:secret:b1': 'refused',
    });
    const withdrawn = incident.requests.find((r) => r.ref === 'fake:secret:a2')?.requestId as string;
    await expect(startRun(h.deps, { requestId: withdrawn, executor: 'carol' })).rejects.toThrow(/withdrawn/);
    const s = await status(h, incident.id);
    expect(s.counts).toMatchObject({ completed: 1, denied: 2, excluded: 1 });
    expect(s.targets.find((t) => t.ref === 'fake:secret:a2')?.exclusion?.reason).toBe(
      'decommissioned last week',
    );
    await auditIntact(h);
  });

  it('refuses an incident whose stored plan was edited, and a decision on a changed digest', async () => {
    const h = setup({ a1: 'alice', a2: 'alice' });
    const { incident } = await file(h);
    await expect(
      decideIncident(decisionDeps(h), {
        incidentId: incident.id,
        principal: 'alice',
        decision: 'approve',
        now: new Date(),
        privateKey: h.keys.alice as KeyObject,
        expectDigest: `sha256:${'0'.repeat(64)}`,
      }),
    ).rejects.toMatchObject({ rule: 'digest-mismatch' });
    // Someone with the database drops a target from the stored plan (or points it at another request).
    const row = await h.store.incidents.get(incident.id);
    await h.store.incidents.update(incident.id, {
      document: {
        ...(row?.document as NonNullable<typeof row>['document']),
        targets: row?.document.targets.slice(1) ?? [],
      },
    });
    await expect(decide(h, incident.id, 'alice')).rejects.toMatchObject({ rule: 'incident-tampered' });
    await expect(
      runIncident(h.deps, { incidentId: incident.id, executor: 'carol', resume: false }),
    ).rejects.toBeInstanceOf(PolicyError);
    // The refusal is evidence, and audit verify names the edited row.
    const refused = await h.store.audit.latestOfType('approval.refused');
    expect(refused?.data).toMatchObject({ rule: 'incident-tampered', incidentId: incident.id });
    const rows = await crossCheckStore(h.store);
    expect(rows.problems.filter((p) => p.kind === 'incident').map((p) => p.problem)).toEqual([
      'its plan document does not hash to its digest',
    ]);
    // Quietly excluding a target in the row (no request.withdrawn entry) is named too.
    await h.store.incidents.update(incident.id, {
      document: row?.document as NonNullable<typeof row>['document'],
      exclusions: [{ ref: 'fake:secret:a1', by: 'carol', at: new Date().toISOString(), reason: 'x' }],
    });
    expect((await crossCheckStore(h.store)).problems.map((p) => p.problem)).toEqual([
      'exclusions differ from its request.withdrawn entries (1 stored, 0 recorded)',
    ]);
  });

  it('one target failing does not stop the others, and is listed as needing attention', async () => {
    const h = setup({ a1: 'alice', a2: 'alice', a3: 'alice' });
    const reissue = h.provider.reissue.bind(h.provider);
    h.provider.reissue = async (ref, ctx) => {
      if (ref.locator === 'a2')
        throw new ProviderError('AccessDenied on PutSecretValue (fake)', { retryable: false });
      return reissue(ref, ctx);
    };
    const { incident } = await file(h);
    await decide(h, incident.id, 'alice');
    const results = await runIncident(h.deps, {
      incidentId: incident.id,
      executor: 'carol',
      resume: false,
      concurrency: 3,
    });
    expect(Object.fromEntries(results.map((r) => [r.ref, r.outcome]))).toEqual({
      'fake:secret:a1': 'completed',
      'fake:secret:a2': 'needs-attention',
      'fake:secret:a3': 'completed',
    });
    const s = await status(h, incident.id);
    expect(s.needsAttention.map((n) => n.ref)).toEqual(['fake:secret:a2']);
    expect(s.needsAttention[0]?.next).toMatch(/nhi incident resume/);
  });

  it("break-glass covers the whole incident; every target then awaits its owners' retrospective review", async () => {
    const h = setup({ a1: 'alice', b1: 'bob' });
    const { incident } = await file(h);
    await expect(
      runIncident(h.deps, {
        incidentId: incident.id,
        executor: 'carol',
        resume: false,
        breakGlass: { reason: 'exfiltration in progress' },
      }),
    ).resolves.toSatisfy((r: { outcome: string }[]) => r.every((x) => x.outcome === 'refused'));
    const results = await runIncident(h.deps, {
      incidentId: incident.id,
      executor: 'sec',
      resume: false,
      breakGlass: { reason: 'exfiltration in progress' },
    });
    expect(results.map((r) => r.outcome)).toEqual(['completed', 'completed']);
    let s = await status(h, incident.id);
    expect(s.targets.every((t) => t.breakGlass && t.reviewRequired)).toBe(true);
    expect(s.needsAttention).toHaveLength(2);
    const a1 = incident.requests.find((r) => r.ref === 'fake:secret:a1')?.requestId as string;
    await recordDecision(decisionDeps(h), {
      requestId: a1,
      principal: 'alice',
      decision: 'approve',
      now: new Date(),
      privateKey: h.keys.alice as KeyObject,
    });
    s = await status(h, incident.id);
    expect(s.needsAttention.map((n) => n.ref)).toEqual(['fake:secret:b1']);
    await auditIntact(h);
  });
});
