/**
 * Issue 15 on the approval page: an owner signed in through the identity provider sees their
 * share of an incident (and only theirs), every target's plan, and decides the whole share with
 * ONE passkey assertion over the share's nhi-incident-approval payload; each request then counts
 * the approval at the run gate. The server rebuilds the payload: an assertion made for one share
 * decides no other incident or share.
 */
import { join } from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeStoredRun } from '../../src/approval/decisions/run-gate.js';
import { auditClaimCheckers } from '../../src/approval/signing/audit-claims.js';
import { sortedLeaves } from '../../src/approval/signing/incident-proof.js';
import type { WebAuthnProof } from '../../src/approval/signing/webauthn.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { decideIncident } from '../../src/incident/decide.js';
import { incidentStatus } from '../../src/incident/status.js';
import type { RecoveryRequest } from '../../src/store/types.js';
import {
  enrolPasskey,
  launchChromium,
  type OwnerBrowser,
  ownerBrowser,
  pagePost,
  signIn,
} from './browser.js';
import { insertIncident } from './incident-fixture.js';
import { startWebWorld, type WebWorld, worldCli } from './world.js';

const IMAGES = join(import.meta.dirname, '..', '..', 'docs', 'images');
const shot = async (page: Page, name: string) => {
  if (process.env.NHI_SCREENSHOTS) await page.screenshot({ path: join(IMAGES, name), fullPage: true });
};

describe('an incident share on the approval page', () => {
  let w: WebWorld;
  let browser: Browser;
  let alice: OwnerBrowser;
  let A: Awaited<ReturnType<typeof insertIncident>>;
  let B: Awaited<ReturnType<typeof insertIncident>>;
  let single: RecoveryRequest;
  const mine = (i: typeof A, who: string) => i.requests.filter((r) => r.owners.includes(who));
  const gate = (requestId: string) =>
    authorizeStoredRun(w.store, w, { requestId, executor: 'dave', now: w.now() });

  beforeAll(async () => {
    w = await startWebWorld();
    browser = await launchChromium();
    // A: alice owns a1, a2 and (with bob) the privileged a3; bob alone owns b1.
    A = await insertIncident(w, [
      { owners: ['alice'] },
      { owners: ['alice'] },
      { owners: ['alice', 'bob'], tier: 'privileged' },
      { owners: ['bob'] },
    ]);
    B = await insertIncident(w, [{ owners: ['alice'] }, { owners: ['alice'] }, { owners: ['bob'] }]);
    single = await w.insertRequest({ owners: ['alice'] });
    alice = await ownerBrowser(browser);
    await signIn(alice.page, w.publicUrl, 'alice');
    await enrolPasskey(w, alice.page, 'alice');
  });

  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it("lists the owner's incidents with their share; their requests are grouped under them", async () => {
    const { page } = alice;
    await page.goto(`${w.publicUrl}/inbox`);
    const row = page.locator(`tr[data-incident="${A.incident.id}"]`);
    expect(await row.locator('.to-decide').textContent()).toBe('3');
    expect(await row.textContent()).toContain('1 privileged');
    expect(await row.locator('.states').textContent()).toBe('3 awaiting-approval');
    expect(await page.locator(`tr[data-incident="${B.incident.id}"] .to-decide`).textContent()).toBe('2');
    expect(await page.locator(`#inbox tr[data-request="${single.id}"]`).count()).toBe(1);
    for (const r of [...A.requests, ...B.requests])
      expect(await page.locator(`tr[data-request="${r.id}"]`).count()).toBe(0);
    // The requester decides nothing of it; it is not in their inbox.
    const carol = await ownerBrowser(browser);
    await signIn(carol.page, w.publicUrl, 'carol');
    expect(await carol.page.locator(`tr[data-incident="${A.incident.id}"]`).count()).toBe(0);
    await carol.page.goto(`${w.publicUrl}/incidents/${A.incident.id}`);
    expect(await carol.page.textContent('#cannot-decide')).toContain('You filed this incident');
    await carol.context.close();
  });

  it('shows the incident and only this owner’s share, each plan collapsible', async () => {
    const { page } = alice;
    await page.goto(`${w.publicUrl}/incidents/${A.incident.id}`);
    expect(await page.textContent('#incident-digest')).toBe(A.incident.digest);
    expect(await page.textContent('#incident-facts')).toContain('INC-77: CI runner compromised');
    const shown = await page
      .locator('details.target')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-request')));
    expect(shown.sort()).toEqual(
      mine(A, 'alice')
        .map((r) => r.id)
        .sort(),
    );
    const bobs = A.requests.find((r) => r.owners.join() === 'bob') as RecoveryRequest;
    expect(await page.content()).not.toContain(bobs.ref);
    expect(await page.textContent('#others')).toContain('1 other target of this incident');
    const first = page.locator('details.target').first();
    expect(await first.locator('.nhi-plan').isVisible()).toBe(false);
    await first.locator('summary').click();
    expect(await first.locator('.nhi-plan h2').textContent()).toContain('Recovery plan for');
    expect(await page.textContent('#share h2')).toBe('Your share: 3 targets (1 privileged)');
    const noCsrf = await pagePost(page, `/incidents/${A.incident.id}/challenge`, {}, { csrf: false });
    expect(noCsrf).toEqual({ status: 403, json: { error: 'missing or invalid CSRF token', rule: 'csrf' } });
    await shot(page, 'incident-page.png');
  });

  it('an assertion made for one share decides no other incident or share', async () => {
    const { page } = alice;
    await page.goto(`${w.publicUrl}/incidents/${A.incident.id}`);
    let payloadA = '';
    page.on('response', async (r) => {
      if (r.url().endsWith(`/incidents/${A.incident.id}/challenge`))
        payloadA = String((await r.json()).payload);
    });
    let captured: Request | undefined;
    await page.route('**/decide', (route) => {
      captured = route.request();
      return route.abort();
    });
    await page.click('#approve');
    await page.locator('#result.refusal').waitFor();
    await page.unroute('**/decide');
    const body = JSON.parse(captured?.postData() ?? '{}');
    expect(JSON.parse(payloadA)).toMatchObject({
      kind: 'nhi-incident-approval',
      incidentId: A.incident.id,
      targets: 3,
    });

    // Its challenge is A's: B's decide does not take it.
    const toB = await pagePost(page, `/incidents/${B.incident.id}/decide`, body);
    expect(toB.status).toBe(409);
    // A fresh challenge for B, answered with the assertion over A's payload: it does not verify.
    await page.goto(`${w.publicUrl}/incidents/${B.incident.id}`);
    const shareRoot = (await page.getAttribute('#decide', 'data-share-root')) ?? '';
    const chB = await pagePost(page, `/incidents/${B.incident.id}/challenge`, {
      decision: 'approve',
      incidentDigest: B.incident.digest,
      shareRoot,
    });
    expect(chB.status).toBe(200);
    const swapped = await pagePost(page, `/incidents/${B.incident.id}/decide`, {
      ...body,
      challengeId: chB.json.challengeId,
    });
    expect(swapped).toMatchObject({ status: 403, json: { rule: 'bad-signature' } });

    // Past the page: the engine rebuilds the share's payload, so A's proof records nothing on B.
    const cred = body.credential;
    const passkey = await w.store.passkeys.get(cred.id);
    const proof: WebAuthnProof = {
      method: 'webauthn',
      keyId: w.registry.principal('alice')?.keyId ?? '',
      credentialId: cred.id,
      credentialPublicKey: passkey?.publicKey ?? '',
      rpId: passkey?.rpId ?? '',
      confirmation: passkey?.confirmation as WebAuthnProof['confirmation'],
      authenticatorData: cred.response.authenticatorData,
      clientDataJSON: cred.response.clientDataJSON,
      signature: cred.response.signature,
      signedPayload: payloadA,
    };
    const leaves = (i: typeof A) =>
      sortedLeaves(mine(i, 'alice').map((r) => ({ requestId: r.id, planDigest: r.planDigest })));
    for (const subset of [leaves(A), leaves(B)]) {
      await expect(
        decideIncident(w, {
          incidentId: B.incident.id,
          principal: 'alice',
          decision: 'approve',
          now: w.now(),
          signed: { proof, subset },
        }),
      ).rejects.toMatchObject({ rule: expect.stringMatching(/bad-signature|share-changed/) });
    }
    for (const r of [...A.requests, ...B.requests])
      expect(await w.store.approvals.forRequest(r.id)).toEqual([]);
  });

  it('a share that changed between the challenge and the assertion is refused', async () => {
    const { page } = alice;
    await page.goto(`${w.publicUrl}/incidents/${B.incident.id}`);
    const [b1] = mine(B, 'alice') as [RecoveryRequest];
    await page.route('**/decide', async (route) => {
      // Meanwhile alice approves one of those targets at her terminal.
      const cli = await worldCli(w, [
        'approve',
        b1.id,
        '--as',
        'alice',
        '--key',
        w.keys.alice?.keyPath ?? '',
        '--digest',
        b1.planDigest,
      ]);
      expect(cli.code).toBe(0);
      await route.continue();
    });
    await page.click('#approve');
    await page.locator('#result.refusal').waitFor();
    await page.unroute('**/decide');
    expect(await page.textContent('#result')).toContain('changed since it was signed');
    for (const r of mine(B, 'alice').slice(1)) expect(await w.store.approvals.forRequest(r.id)).toEqual([]);
  });

  it('approves the whole share with one passkey assertion; the run gate counts it on each request', async () => {
    const { page } = alice;
    await page.goto(`${w.publicUrl}/incidents/${A.incident.id}`);
    await page.fill('#comment', 'all three read by the runner');
    await page.click('#approve');
    await page.locator('#result.ok, #result.refusal').waitFor();
    expect(await page.textContent('#result')).toContain('Approved 3 target(s)');
    await page.waitForURL(`${w.publicUrl}/incidents/${A.incident.id}`);
    expect(await page.textContent('#cannot-decide')).toContain('Nothing in this incident is left');
    const signatures = new Set<string>();
    for (const r of mine(A, 'alice')) {
      const [approval] = await w.store.approvals.forRequest(r.id);
      const proof = approval?.proof as unknown as WebAuthnProof;
      expect(proof).toMatchObject({ method: 'webauthn', inclusion: { planDigest: r.planDigest } });
      expect(approval?.comment).toBe('all three read by the runner');
      signatures.add(proof.signature);
    }
    expect(signatures.size).toBe(1);
    const byOwners = (o: string, tier = 'standard') =>
      A.requests.find((r) => r.owners.join() === o && r.tier === tier)?.id as string;
    for (const r of mine(A, 'alice').filter((x) => x.tier === 'standard'))
      expect((await gate(r.id)).authorization).toMatchObject({ mode: 'approved', approvers: ['alice'] });
    await expect(gate(byOwners('alice,bob', 'privileged'))).rejects.toMatchObject({ rule: 'quorum' });
    await expect(gate(byOwners('bob'))).rejects.toMatchObject({ rule: 'not-approved' });
    const status = await incidentStatus(w, A.incident.id);
    expect(status.counts).toMatchObject({ approved: 2, 'awaiting-approval': 2 });
    expect(status.targets.find((t) => t.requestId === byOwners('alice'))?.approvers).toEqual(['alice']);
    const verdict = await verifyAudit(w.store.audit, w.auditKeys.publicKey, auditClaimCheckers(w.config));
    expect(verdict.firstBad).toBeUndefined();
    expect(verdict.ok).toBe(true);
  });

  it("the second owner's share is still pending, and theirs alone", async () => {
    const bob = await ownerBrowser(browser);
    await signIn(bob.page, w.publicUrl, 'bob');
    expect(await bob.page.locator(`tr[data-incident="${A.incident.id}"] .to-decide`).textContent()).toBe('2');
    await bob.page.goto(`${w.publicUrl}/incidents/${A.incident.id}`);
    const shown = await bob.page
      .locator('details.target')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-request')));
    expect(shown.sort()).toEqual(
      mine(A, 'bob')
        .map((r) => r.id)
        .sort(),
    );
    expect(await bob.page.textContent('#others')).toContain('2 other targets');
    await bob.context.close();
  });
});
