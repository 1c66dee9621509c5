/**
 * Issue 13, the rest of "done": an approval from the page, one made offline and one made with the
 * CLI count toward one quorum of three; `nhi audit verify --export` re-verifies the passkey assertion from the export alone
 * (a forged export, re-hashed and re-signed by someone holding the audit key, still fails on the
 * assertion); the page on a phone; sign-out; the sign-in rate limit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeRun } from '../../src/approval/decisions/authorize.js';
import { trustedRequest } from '../../src/approval/decisions/signed-request.js';
import { checkpointPayload, entryHash, GENESIS_HASH } from '../../src/audit/chain.js';
import { signBytes } from '../../src/audit/keys.js';
import { realPlan } from '../approval/fixture.js';
import { enrolPasskey, launchChromium, type OwnerBrowser, ownerBrowser, signIn } from './browser.js';
import { startWebWorld, type WebWorld, worldCli } from './world.js';

type Line = Record<string, unknown> & { kind: string; seq: number };

/** An attacker's export: edit entries, re-hash the chain, re-sign every checkpoint with the audit key. */
function forgeExport(w: WebWorld, path: string, edit: (entry: Line) => void): void {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
  const hashes = new Map<number, string>();
  let prevHash = GENESIS_HASH;
  for (const e of lines.filter((l) => l.kind === 'entry')) {
    edit(e);
    e.prevHash = prevHash;
    const { kind: _k, hash: _h, ...body } = e;
    e.hash = entryHash(body as never);
    hashes.set(e.seq, e.hash as string);
    prevHash = e.hash as string;
  }
  for (const cp of lines.filter((l) => l.kind === 'checkpoint')) {
    cp.hash = hashes.get(cp.seq);
    cp.signature = signBytes(w.auditKeys.privateKey, checkpointPayload(cp.seq, cp.hash as string));
  }
  writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
}

describe('the approval page with the other approval paths, and on a phone', () => {
  let w: WebWorld;
  let browser: Browser;
  let alice: OwnerBrowser;
  let webauthnSeq = 0;

  beforeAll(async () => {
    w = await startWebWorld({ signInPerMinute: 8 });
    browser = await launchChromium();
    alice = await ownerBrowser(browser);
    await signIn(alice.page, w.publicUrl, 'alice');
    await enrolPasskey(w, alice.page, 'alice');
  });

  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('a passkey approval, an offline decision and a CLI approval make one privileged quorum', async () => {
    const owners = ['alice', 'bob', 'dave'];
    const plan = realPlan({ tier: 'privileged', owners, policy: { quorum: 3 } });
    const request = await w.insertRequest({ plan, tier: 'privileged', owners });
    await alice.page.goto(`${w.publicUrl}/requests/${request.id}`);
    await alice.page.click('#approve');
    await alice.page.locator('#result.ok').waitFor();
    expect(await alice.page.textContent('#result')).toContain('Approved (1 of 3)');

    // bob, on a laptop with only the exported document and his key: no config, no database.
    const doc = join(w.dir, 'request.json');
    const decision = join(w.dir, 'bob-decision.json');
    expect((await worldCli(w, ['request', 'export', request.id, '--out', doc])).code).toBe(0);
    const offline = await worldCli(
      w,
      [
        'approve',
        '--request-file',
        doc,
        '--as',
        'bob',
        '--key',
        w.keys.bob?.keyPath ?? '',
        '--digest',
        request.planDigest,
        '--out',
        decision,
      ],
      false,
    );
    expect(offline.err).toBe('');
    expect(offline.code).toBe(0);
    const imported = await worldCli(w, ['approval', 'import', decision]);
    expect(imported.err).toBe('');
    expect(imported.code).toBe(0);
    expect((await w.store.requests.get(request.id))?.status).toBe('pending');

    // dave, at a terminal with the config: the CLI path.
    const viaCli = await worldCli(w, [
      'approve',
      request.id,
      '--as',
      'dave',
      '--key',
      w.keys.dave?.keyPath ?? '',
      '--digest',
      request.planDigest,
    ]);
    expect(viaCli.err).toBe('');
    expect(viaCli.code).toBe(0);

    const approvals = await w.store.approvals.forRequest(request.id);
    expect(approvals.map((a) => `${a.principal}:${(a.proof as { method: string }).method}`).sort()).toEqual([
      'alice:webauthn',
      'bob:ed25519',
      'dave:ed25519',
    ]);
    const row = await w.store.requests.get(request.id);
    expect(row?.status).toBe('approved');
    const at = (now: Date) => ({
      request: trustedRequest(row as never),
      approvals,
      executor: 'sec',
      now,
      config: w.config,
      registry: w.registry,
    });
    // Privileged: the quorum is met, but the signed plan's 60-minute hold still runs.
    expect(() => authorizeRun(at(w.now()))).toThrow(/hold/);
    const after = authorizeRun({
      request: trustedRequest(row as never),
      approvals,
      executor: 'sec',
      now: new Date(w.now().getTime() + 61 * 60_000),
      config: w.config,
      registry: w.registry,
    });
    expect(after).toMatchObject({ mode: 'approved', approvers: ['alice', 'bob', 'dave'] });
    for await (const e of w.store.audit.entries()) {
      const proof = (e.data as { proof?: { method?: string } }).proof;
      if (e.type === 'approval.recorded' && proof?.method === 'webauthn') webauthnSeq = e.seq;
    }
    expect(webauthnSeq).toBeGreaterThan(0);
  });

  it('audit verify --export re-verifies the passkey assertion from the export; a forged export fails on it', async () => {
    const file = join(w.dir, 'audit.jsonl');
    expect((await worldCli(w, ['audit', 'export', '--out', file])).code).toBe(0);
    const good = await worldCli(w, ['audit', 'verify', '--export', file]);
    expect(good.err).toBe('');
    expect(good.out).toMatch(
      /audit export intact: \d+ entries, \d+ signed checkpoint\(s\), [1-9]\d* signature/,
    );
    expect(good.code).toBe(0);

    // The chain and checkpoints of the forgery are valid; only the assertion inside is not.
    forgeExport(w, file, (e) => {
      if (e.seq !== webauthnSeq) return;
      const proof = (e.data as { proof: { signature: string } }).proof;
      const sig = Buffer.from(proof.signature, 'base64url');
      sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
      proof.signature = sig.toString('base64url');
    });
    const forged = await worldCli(w, ['audit', 'verify', '--export', file]);
    expect(forged.code).toBe(1);
    expect(forged.err).toContain(`audit export NOT intact: first bad entry seq ${webauthnSeq}`);
    expect(forged.err).toMatch(/passkey|webauthn|WebAuthn/);

    writeFileSync(file, 'not json\n');
    const garbage = await worldCli(w, ['audit', 'verify', '--export', file]);
    expect(garbage.code).not.toBe(0);
    expect(garbage.err).toContain('line 1 is not JSON');
  });

  it('is usable on a phone: nothing wider than the screen, the decision buttons in reach', async () => {
    const request = await w.insertRequest();
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await phone.addCookies(await alice.context.cookies());
    const page = await phone.newPage();
    await page.goto(`${w.publicUrl}/requests/${request.id}`);
    const overflow = await page.evaluate(() => {
      // biome-ignore lint/suspicious/noExplicitAny: runs in the browser, where document exists
      const doc = (globalThis as any).document;
      return doc.documentElement.scrollWidth - doc.documentElement.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    const approve = await page.locator('#approve').boundingBox();
    expect(approve?.width).toBeGreaterThanOrEqual(44);
    expect(approve?.height).toBeGreaterThanOrEqual(36);
    await phone.close();
  });

  it('sign-out ends the session on the server, not only in the browser', async () => {
    const bob = await ownerBrowser(browser);
    await signIn(bob.page, w.publicUrl, 'bob');
    const stolen = await bob.context.cookies();
    await bob.page.click('#logout');
    await bob.page.waitForURL(`${w.publicUrl}/signed-out`);
    // Someone who copied the cookie before sign-out gets nothing with it.
    const replay = await browser.newContext();
    await replay.addCookies(stolen);
    const page = await replay.newPage();
    const res = await page.goto(`${w.publicUrl}/inbox`);
    expect(res?.status()).toBe(401);
    expect(await page.textContent('#message')).toContain('Sign in to decide requests');
    expect(await page.locator('#principal').count()).toBe(0);
    await replay.close();
    await bob.context.close();
  });

  it('limits sign-in attempts per client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${w.publicUrl}/login`, { redirect: 'manual' });
      statuses.push(res.status);
    }
    expect(statuses.slice(-1)).toEqual([429]);
    expect(statuses.filter((s) => s === 302 || s === 303)).not.toHaveLength(0);
  });
});
