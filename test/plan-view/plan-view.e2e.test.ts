/**
 * The readable plan of every shipped runbook, on real plans made against the local servers:
 * what `nhi plan` prints, and — once the request is filed — what `nhi status` prints, the
 * Markdown of the request.created notice, the HTML for the approval page and the JSON view.
 * Snapshots are files under __snapshots__/<runbook>/, normalised by real-plans.ts (ids, times,
 * digests, fingerprints), never by editing the plan. Markdown, HTML and JSON ones end
 * in .snap so the formatter leaves them as rendered.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { configFacts } from '../../src/plan-view/config-facts.js';
import { renderPlanHtml } from '../../src/plan-view/html.js';
import { renderPlanMarkdown } from '../../src/plan-view/markdown.js';
import { buildPlanView, type PlanView } from '../../src/plan-view/model.js';
import { renderPlanText } from '../../src/plan-view/text.js';
import { planTarget } from '../../src/runbook/planning.js';
import { createRequest } from '../../src/runbook/requests.js';
import type { RecoveryRequest } from '../../src/store/types.js';
import { inProcessCli, localConfig, scratchDir } from '../runbook/local-app.js';
import { INSTANCES, normaliser, SHIPPED_RUNBOOKS, seeders } from './real-plans.js';

const suffix = randomUUID().slice(0, 8);
const seed = seeders(suffix);

interface Hook {
  event: string;
  subject: string;
  data: Record<string, unknown>;
}
const received: Hook[] = [];
let server: Server;
let app: App;
let configPath: string;
let scratch: ReturnType<typeof scratchDir>;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push(JSON.parse(body) as Hook);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  scratch = scratchDir('nhi-plan-view-');
  const hookKey = join(scratch.dir, 'hook.key');
  writeFileSync(hookKey, 'plan-view-webhook-key-0123456789', { mode: 0o600 });
  configPath = localConfig(scratch.dir, 'planview', INSTANCES, {
    notify: {
      owners: {
        type: 'webhook',
        url: `http://127.0.0.1:${port}/owners`,
        secret: `file:${hookKey}`,
        events: ['request.created'],
        attempts: 1,
      },
    },
  });
  app = await createApp({ configPath });
});

afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** Plan and file a request for one freshly seeded target, as `nhi plan` and `nhi request` do. */
async function plannedAndFiled(runbook: (typeof SHIPPED_RUNBOOKS)[number], variant = '') {
  const seeded = await seed[runbook](variant);
  const planned = await planTarget(app.engine(), seeded.ref, runbook);
  const planView = buildPlanView({
    plan: planned.plan,
    versions: planned.snapshot.versions,
    ...configFacts(app.config, planned.plan),
  });
  const request = await createRequest(app.engine(), {
    ref: seeded.ref,
    runbookId: runbook,
    reason: 'INC-4711: value pasted into a CI log',
    requester: 'carol',
  });
  const requestView = buildPlanView({
    plan: request.plan,
    request,
    ...configFacts(app.config, request.plan),
  });
  const ids = [
    ...seeded.volatile,
    ...planned.snapshot.versions.map((v) => v.id),
    ...planned.plan.revoke.versions.map((v) => v.versionId),
    ...planned.plan.limits.flatMap((l) => l.makeRoom ?? []),
    ...(planned.plan.target.currentVersion ? [planned.plan.target.currentVersion] : []),
  ];
  const normalise = normaliser(suffix, ids);
  // Snapshot files end with a newline, like the CLI's output.
  return { ...planned, planView, request, requestView, normalise: (text: string) => `${normalise(text)}\n` };
}

const snapshot = (runbook: string, file: string) =>
  join(dirname(fileURLToPath(import.meta.url)), '__snapshots__', runbook, file);

describe('the readable plan of every shipped runbook (real plans, local servers)', () => {
  it.each(SHIPPED_RUNBOOKS)('%s: nhi plan, nhi status, Markdown, HTML and JSON', async (runbook) => {
    const { plan, planView, requestView, request, normalise } = await plannedAndFiled(runbook);
    expect(request.planDigest).toBe(planView.digest);
    expect(planView.revoke.versions.map((v) => v.versionId)).toEqual(
      plan.revoke.versions.map((v) => v.versionId),
    );
    const text = renderPlanText(planView);
    for (const v of plan.revoke.versions) expect(text).toContain(`- version id ${v.versionId}`);
    expect(text).toContain(`plan digest  ${planView.digest}`);
    await expect(normalise(text)).toMatchFileSnapshot(snapshot(runbook, 'plan.txt'));
    await expect(normalise(renderPlanText(requestView))).toMatchFileSnapshot(snapshot(runbook, 'status.txt'));
    await expect(normalise(renderPlanMarkdown(requestView))).toMatchFileSnapshot(
      snapshot(runbook, 'request.md.snap'),
    );
    await expect(normalise(renderPlanHtml(requestView))).toMatchFileSnapshot(
      snapshot(runbook, 'request.html.snap'),
    );
    await expect(normalise(JSON.stringify(requestView, null, 2))).toMatchFileSnapshot(
      snapshot(runbook, 'request.json.snap'),
    );
  });

  it('the request.created webhook body carries the version ids to revoke, the Markdown plan and the commands with --digest', async () => {
    const { plan, request, requestView } = await plannedAndFiled('vault-kv-recovery', '-hook');
    const body = received.find((h) => h.event === 'request.created' && h.subject === request.id);
    expect(body, 'the owners target received request.created').toBeDefined();
    const data = body?.data ?? {};
    const ids = plan.revoke.versions.map((v) => v.versionId);
    expect(ids).toEqual(['1', '2']);
    expect(data.revoke).toEqual(ids);
    expect((data.plan as PlanView).revoke.versions.map((v) => v.versionId)).toEqual(ids);
    expect(data.markdown).toBe(renderPlanMarkdown(requestView));
    for (const id of ids) expect(data.markdown).toContain(`- revoke version id ${id}`);
    for (const owner of ['alice', 'bob']) {
      const approve = `nhi approve ${request.id} --as ${owner} --key <private-key-file> --digest ${request.planDigest}`;
      const deny = `nhi deny ${request.id} --as ${owner} --key <private-key-file> --digest ${request.planDigest}`;
      expect((data.approve as Record<string, string>)[owner]).toBe(approve);
      expect((data.deny as Record<string, string>)[owner]).toBe(deny);
      expect(data.markdown).toContain(approve);
      expect(data.markdown).toContain(deny);
    }
    // The approval rules as signed in the plan (privileged defaults: quorum 2, a 60-minute hold).
    expect(data.policy).toEqual({
      quorum: 2,
      holdMinutes: 60,
      approvalTtlHours: 4,
      executorNotApprover: true,
    });
  });
});

describe('the CLI prints the plan view', () => {
  const nhi = inProcessCli(() => configPath);

  it('nhi plan prints the text view; --format markdown|html|json the others; --json stays {digest, plan}', async () => {
    const seeded = await seed['aws-iam-key-recovery']('-cli');
    const text = await nhi('plan', seeded.ref, '--runbook', 'aws-iam-key-recovery');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Recovery plan for aws-pv:iam-key:/);
    expect(text.stdout).toContain(`- version id ${seeded.volatile[1]}  (current)`);
    expect(text.stdout).toContain(
      `- make-room deletes version id(s) ${seeded.volatile[0]} before the revoke`,
    );
    expect(text.stdout).toMatch(/make-room -> revoke -> reissue/);
    expect(text.stdout).toContain('Nothing has changed. To ask the owners:');

    const md = await nhi('plan', seeded.ref, '--runbook', 'aws-iam-key-recovery', '--format', 'markdown');
    expect(md.stdout).toMatch(/^### Recovery plan for `aws-pv:iam-key:/);
    const html = await nhi('plan', seeded.ref, '--runbook', 'aws-iam-key-recovery', '--format', 'html');
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout).toContain(`Content-Security-Policy" content="default-src 'none'`);
    const view = await nhi('plan', seeded.ref, '--runbook', 'aws-iam-key-recovery', '--format', 'json');
    expect(JSON.parse(view.stdout)).toMatchObject({ kind: 'nhi-plan-view', ref: seeded.ref });
    const raw = await nhi('--json', 'plan', seeded.ref, '--runbook', 'aws-iam-key-recovery');
    expect(Object.keys(JSON.parse(raw.stdout)).sort()).toEqual(['digest', 'plan', 'schemaVersion']);

    const both = await nhi(
      '--json',
      'plan',
      seeded.ref,
      '--runbook',
      'aws-iam-key-recovery',
      '--format',
      'json',
    );
    expect(both.code).toBe(2);
    const bad = await nhi('plan', seeded.ref, '--runbook', 'aws-iam-key-recovery', '--format', 'yaml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be text, markdown, html, json');
  });

  it('nhi request prints the decide commands with --digest; nhi status shows the stored plan with no provider reachable', async () => {
    const seeded = await seed['aws-secret-recovery']('-cli');
    const filed = await nhi(
      'request',
      seeded.ref,
      '--runbook',
      'aws-secret-recovery',
      '--reason',
      'INC-7 leak',
      '--as',
      'carol',
    );
    expect(filed.code, filed.stderr).toBe(0);
    const id = /request (req_\S+) filed/.exec(filed.stdout)?.[1] as string;
    const digest = /plan digest (sha256:[0-9a-f]{64})/.exec(filed.stdout)?.[1] as string;
    expect(filed.stdout).toContain(
      `nhi approve ${id} --as alice --key <private-key-file> --digest ${digest}`,
    );
    expect(filed.stdout).toContain(`nhi deny ${id} --as alice --key <private-key-file> --digest ${digest}`);

    // The same state database, every provider pointed at a closed port.
    const offline = JSON.parse(readFileSync(configPath, 'utf8'));
    offline.providers['vault-pv'].address = 'http://127.0.0.1:9';
    offline.providers['aws-pv'].endpoint = 'http://127.0.0.1:9';
    offline.providers['azure-pv'].vaultUrl = 'https://127.0.0.1:9';
    const offlinePath = join(scratch.dir, 'planview-offline.json');
    writeFileSync(offlinePath, JSON.stringify(offline));
    const status = await inProcessCli(() => offlinePath)('status', id);
    expect(status.code, status.stderr).toBe(0);
    const request = (await app.store.requests.get(id)) as RecoveryRequest;
    const versions = request.plan.revoke.versions.map((v) => v.versionId);
    expect(versions.length).toBeGreaterThan(0);
    expect(status.stdout).toMatch(new RegExp(`^request ${id}: pending`));
    expect(status.stdout).toContain('requested by carol: INC-7 leak');
    expect(status.stdout).toContain('ticket       INC-7 (named in the reason)');
    for (const v of versions) expect(status.stdout).toContain(`- version id ${v}`);
    expect(status.stdout).toContain(
      `nhi approve ${id} --as alice --key <private-key-file> --digest ${digest}`,
    );
    const json = await inProcessCli(() => offlinePath)('--json', 'status', id);
    expect(JSON.parse(json.stdout).planView).toMatchObject({ kind: 'nhi-plan-view', digest });

    // A row whose plan was edited after filing: still shown, marked, and offered no decision.
    const db = new Database(JSON.parse(readFileSync(configPath, 'utf8')).state.path);
    try {
      const row = db.prepare('SELECT body FROM requests WHERE id = ?').get(id) as { body: string };
      const body = JSON.parse(row.body) as { plan: { revoke: { versions: unknown[] } } };
      body.plan.revoke.versions = [];
      db.prepare('UPDATE requests SET body = ? WHERE id = ?').run(JSON.stringify(body), id);
    } finally {
      db.close();
    }
    const tampered = await inProcessCli(() => offlinePath)('status', id);
    expect(tampered.code, tampered.stderr).toBe(0);
    expect(tampered.stdout).toMatch(/WARNING \(plan-tampered\)/);
    expect(tampered.stdout).toContain(`${digest}  DOES NOT MATCH THE STORED PLAN`);
    expect(tampered.stdout).toContain('(nothing)');
    expect(tampered.stdout).not.toContain('nhi approve');
  });
});
