/**
 * Issue 13: owners sign in with the identity provider and approve with a passkey bound to the
 * plan digest — in a real browser (Debian's chromium), a CDP virtual authenticator, and a real
 * OIDC provider on loopback.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeRun } from '../../src/approval/decisions/authorize.js';
import { trustedRequest } from '../../src/approval/decisions/signed-request.js';
import { auditClaimCheckers } from '../../src/approval/signing/audit-claims.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { planDigest } from '../../src/runbook/plan.js';
import { realPlan } from '../approval/fixture.js';
import {
  enrolPasskey,
  launchChromium,
  type OwnerBrowser,
  ownerBrowser,
  pagePost,
  signIn,
} from './browser.js';
import { OIDC_CLIENT_SECRET } from './idp.js';
import { startWebWorld, type WebWorld, worldCli } from './world.js';

const IMAGES = join(import.meta.dirname, '..', '..', 'docs', 'images');
/** README screenshots are refreshed on request (NHI_SCREENSHOTS=1), so a test run leaves the tree clean. */
const shot = async (page: Page, name: string) => {
  if (process.env.NHI_SCREENSHOTS) await page.screenshot({ path: join(IMAGES, name), fullPage: false });
};

describe('the approval page in a real browser', () => {
  let w: WebWorld;
  let browser: Browser;
  const owners: Record<string, OwnerBrowser> = {};
  const owner = async (name: string) => {
    if (!owners[name]) {
      owners[name] = await ownerBrowser(browser);
      await signIn(owners[name].page, w.publicUrl, name);
    }
    return owners[name];
  };

  const enrol = async (name: string): Promise<string> => enrolPasskey(w, (await owner(name)).page, name);

  const decideInPage = async (name: string, requestId: string, decision: 'approve' | 'deny', reason = '') => {
    const { page } = await owner(name);
    await page.goto(`${w.publicUrl}/requests/${requestId}`);
    if (reason) await page.fill('#comment', reason);
    await page.click(`#${decision}`);
    await page.locator('#result.ok, #result.refusal').waitFor();
    return {
      cls: await page.getAttribute('#result', 'class'),
      text: (await page.textContent('#result')) ?? '',
    };
  };

  beforeAll(async () => {
    w = await startWebWorld();
    browser = await launchChromium();
    mkdirSync(IMAGES, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('signs an owner in through the identity provider and lists what they may decide', async () => {
    const request = await w.insertRequest();
    const { page } = await owner('alice');
    expect(page.url()).toBe(`${w.publicUrl}/inbox`);
    expect(await page.textContent('#principal')).toBe('alice');
    expect(await page.locator(`tr[data-request="${request.id}"]`).count()).toBe(1);
    await shot(page, 'approval-inbox.png');
  });

  it('refuses a sign-in whose email maps to no principal of the owner registry', async () => {
    const { page, context } = await ownerBrowser(browser);
    await signIn(page, w.publicUrl, 'mallory');
    expect(await page.textContent('#message')).toContain('mallory@example.com is not a principal');
    await context.close();
  });

  it('enrols a passkey that decides nothing until the principal confirms it with their key', async () => {
    const request = await w.insertRequest();
    const { page } = await owner('alice');
    await page.goto(`${w.publicUrl}/requests/${request.id}`);
    expect(await page.textContent('#cannot-decide')).toContain('no confirmed passkey');
    const id = await enrol('alice');
    const types = [];
    for await (const e of w.store.audit.entries()) if (e.subject === id) types.push(e.type);
    expect(types).toEqual(['passkey.registered', 'passkey.confirmed']);
  });

  it('approves with the passkey: a webauthn proof over the plan digest, re-verified offline by audit verify', async () => {
    const request = await w.insertRequest();
    const { page } = await owner('alice');
    await page.goto(`${w.publicUrl}/requests/${request.id}`);
    await shot(page, 'approval-request.png');
    const result = await decideInPage('alice', request.id, 'approve', 'checked the plan');
    expect(result.cls).toBe('ok');
    expect(result.text).toContain('Approved (1 of 1)');
    await page.waitForURL(`${w.publicUrl}/requests/${request.id}`);
    await page.locator('#needed').waitFor();
    await shot(page, 'approval-approved.png');
    const [approval] = await w.store.approvals.forRequest(request.id);
    expect(approval?.proof).toMatchObject({
      method: 'webauthn',
      signedPayload: expect.stringContaining(request.planDigest),
    });
    expect((await w.store.requests.get(request.id))?.status).toBe('approved');
    const verdict = await verifyAudit(w.store.audit, w.auditKeys.publicKey, auditClaimCheckers(w.config));
    expect(verdict.firstBad).toBeUndefined();
    expect(verdict.checkedClaims).toBeGreaterThan(0);
    expect(verdict.ok).toBe(true);
  });

  it('denies with a reason', async () => {
    await enrol('bob');
    const request = await w.insertRequest();
    const result = await decideInPage('bob', request.id, 'deny', 'not during the freeze');
    expect(result.cls).toBe('ok');
    expect(result.text).toContain('Denied');
    const [d] = await w.store.approvals.forRequest(request.id);
    expect(d).toMatchObject({
      decision: 'deny',
      comment: 'not during the freeze',
      proof: { method: 'webauthn' },
    });
    expect((await w.store.requests.get(request.id))?.status).toBe('denied');
  });

  it('refuses the requester, and a registered principal who is not an owner', async () => {
    const request = await w.insertRequest();
    for (const [name, why] of [
      ['carol', 'You filed this request'],
      ['dave', 'You are not an owner'],
    ] as const) {
      const { page } = await owner(name);
      await page.goto(`${w.publicUrl}/requests/${request.id}`);
      expect(await page.textContent('#cannot-decide')).toContain(why);
      const res = await pagePost(page, `/requests/${request.id}/challenge`, {
        decision: 'approve',
        planDigest: request.planDigest,
      });
      expect(res.status).toBe(403);
      expect(String(res.json.error)).toContain(why);
    }
    expect(await w.store.approvals.forRequest(request.id)).toEqual([]);
  });

  it('a page loaded before the plan changed cannot approve the new plan', async () => {
    const request = await w.insertRequest();
    const { page } = await owner('alice');
    await page.goto(`${w.publicUrl}/requests/${request.id}`);
    const plan = realPlan();
    await w.store.requests.update(request.id, { plan, planDigest: planDigest(plan), ref: plan.ref });
    await page.click('#approve');
    await page.locator('#result.refusal').waitFor();
    expect(await page.textContent('#result')).toContain('the plan changed since this page was loaded');
    expect(await w.store.approvals.forRequest(request.id)).toEqual([]);
  });

  it('refuses a replayed assertion', async () => {
    const request = await w.insertRequest();
    const { page } = await owner('alice');
    let replay: string | undefined;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/decide')) replay = r.postData() ?? undefined;
    });
    expect((await decideInPage('alice', request.id, 'approve')).cls).toBe('ok');
    expect(replay).toBeDefined();
    const again = await pagePost(page, `/requests/${request.id}/decide`, JSON.parse(replay ?? '{}'));
    expect(again.status).toBe(409);
    expect(String(again.json.error)).toContain('replayed assertion is refused');
    expect(await w.store.approvals.forRequest(request.id)).toHaveLength(1);
  });

  it('refuses a POST without the CSRF token', async () => {
    const request = await w.insertRequest();
    const { page } = await owner('alice');
    await page.goto(`${w.publicUrl}/requests/${request.id}`);
    const res = await pagePost(
      page,
      `/requests/${request.id}/challenge`,
      { decision: 'approve', planDigest: request.planDigest },
      { csrf: false },
    );
    expect(res).toEqual({ status: 403, json: { error: 'missing or invalid CSRF token', rule: 'csrf' } });
    const response = await page.goto(`${w.publicUrl}/inbox`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(await page.content()).not.toContain('<script>');
  });

  it('a privileged request: an approval in the browser and one with the CLI make the quorum; the run may start after the hold', async () => {
    const request = await w.insertRequest({ tier: 'privileged' });
    const inPage = await decideInPage('alice', request.id, 'approve');
    expect(inPage.text).toContain('Approved (1 of 2)');
    const bob = await worldCli(w, [
      'approve',
      request.id,
      '--as',
      'bob',
      '--key',
      w.keys.bob?.keyPath ?? '',
      '--digest',
      request.planDigest,
    ]);
    expect(bob.err).toBe('');
    expect(bob.code).toBe(0);
    const approvals = await w.store.approvals.forRequest(request.id);
    expect(approvals.map((a) => (a.proof as { method: string }).method).sort()).toEqual([
      'ed25519',
      'webauthn',
    ]);
    const row = await w.store.requests.get(request.id);
    expect(row?.status).toBe('approved');
    const gate = (now: Date) =>
      authorizeRun({
        request: trustedRequest(row as never),
        approvals,
        executor: 'dave',
        now,
        config: w.config,
        registry: w.registry,
      });
    expect(() => gate(w.now())).toThrow(/on hold/);
    const after = gate(new Date(w.now().getTime() + 61 * 60_000));
    expect(after).toMatchObject({ mode: 'approved', approvers: ['alice', 'bob'] });
    const { page } = await owner('alice');
    await page.goto(`${w.publicUrl}/requests/${request.id}`);
    expect(await page.textContent('#needed')).toContain('Quorum met (2 of 2); on hold until');
  });

  it('keeps the client secret and session cookies out of pages and logs', async () => {
    const { page, context } = await owner('alice');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'nhi_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    const logs = w.logs.lines();
    expect(logs).not.toContain(OIDC_CLIENT_SECRET);
    expect(logs).not.toContain(session?.value);
    expect(logs).not.toContain('code=');
    expect(await page.content()).not.toContain(session?.value);
  });

  it('an expired session must sign in again', async () => {
    const { page } = await owner('alice');
    await page.goto(`${w.publicUrl}/inbox`);
    w.advance(16 * 60_000);
    await page.goto(`${w.publicUrl}/inbox`);
    expect(await page.textContent('#message')).toContain('Your session has expired');
    const res = await page.evaluate(
      async () => (await fetch('/passkeys/options', { method: 'POST' })).status,
    );
    expect(res).toBe(401);
  });
});
