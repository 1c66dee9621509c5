/**
 * Debian's chromium, driven by playwright-core (no browser download), one browser context per
 * owner with a CDP virtual authenticator that verifies the user (a passkey with a PIN or
 * fingerprint), and the sign-in through the test's OIDC provider.
 */
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { type WebWorld, worldCli } from './world.js';

export const CHROMIUM = process.env.NHI_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export interface OwnerBrowser {
  context: BrowserContext;
  page: Page;
}

export async function ownerBrowser(browser: Browser): Promise<OwnerBrowser> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 860 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { context, page };
}

/** Through the identity provider's login and consent pages, back to the approval page. */
export async function signIn(page: Page, publicUrl: string, login: string): Promise<void> {
  await page.goto(`${publicUrl}/login`);
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password');
  await page.click('button[type="submit"]');
  await page.waitForLoadState('load');
  if (page.url().includes('/interaction/')) {
    await page.click('button[type="submit"]');
  }
  await page.waitForURL((u) => u.href.startsWith(publicUrl));
  await page.waitForLoadState('load');
}

/** A fetch from inside the page (same origin, its cookies), for requests a page would not make. */
export async function pagePost(
  page: Page,
  path: string,
  body: unknown,
  opts: { csrf?: boolean } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  return page.evaluate(
    async ({ path, body, csrf }) => {
      // biome-ignore lint/suspicious/noExplicitAny: runs in the browser, where document exists
      const doc = (globalThis as any).document;
      const token: string = doc.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
      const res = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(csrf ? { 'X-CSRF-Token': token } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    },
    { path, body, csrf: opts.csrf ?? true },
  );
}

/** Register a passkey on the page and confirm it with the principal's key (nhi passkey confirm). */
export async function enrolPasskey(w: WebWorld, page: Page, name: string): Promise<string> {
  await page.goto(`${w.publicUrl}/passkeys`);
  await page.click('#enrol');
  const command = (await page.locator('#confirm-command').textContent()) ?? '';
  // `nhi passkey confirm NAME --key FILE -- ID`: the id comes last, after `--`.
  const credentialId = command.trim().split(' ').at(-1) ?? '';
  expect(command).toMatch(/^nhi passkey confirm \S+ --key <your key file> -- \S+$/);
  expect((await w.store.passkeys.get(credentialId))?.status).toBe('pending');
  const keyPath = w.keys[name]?.keyPath ?? '';
  const confirmed = await worldCli(w, ['passkey', 'confirm', name, '--key', keyPath, '--', credentialId]);
  expect(confirmed.err).toBe('');
  expect(confirmed.code).toBe(0);
  expect((await w.store.passkeys.get(credentialId))?.status).toBe('active');
  return credentialId;
}
