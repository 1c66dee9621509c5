/**
 * The passkey signature every decision on the page goes through, whatever it decides (one
 * request, or an owner's share of an incident): the server builds the canonical payload, keeps
 * it with a single-use challenge (its sha256) in the session, and turns the assertion the
 * browser returns into a `webauthn` proof over exactly that payload. The browser never supplies
 * the payload; the decision code then checks the proof like any other.
 */
import { randomUUID } from 'node:crypto';
import type { WebAuthnProof } from '../../approval/signing/webauthn.js';
import { webauthnChallenge } from '../../approval/signing/webauthn.js';
import type { PasskeyRecord } from '../../store/passkey-types.js';
import type { SignedIn, WebContext } from '../context.js';
import { HttpError, readFields, sendJson, str } from '../http.js';
import { assertionOptions, verifyAssertion } from '../passkey-ceremony.js';
import type { PendingChallenge } from '../session.js';

export const chrome = (x: SignedIn) => ({ principal: x.session.principal, csrfToken: x.session.csrfToken });

export const activePasskeys = async (ctx: WebContext, principal: string): Promise<PasskeyRecord[]> =>
  (await ctx.deps.store.passkeys.forPrincipal(principal)).filter(
    (p) => p.status === 'active' && p.confirmation,
  );

/** The per-principal decision rate limit (challenges and decisions alike). */
export function decisionLimit(ctx: WebContext, x: SignedIn): void {
  const wait = ctx.limits.decisions.take(`principal:${x.session.principal}`);
  if (wait !== undefined) {
    x.res.setHeader('Retry-After', String(wait));
    throw new HttpError(429, `too many decisions; try again in ${wait} s`);
  }
}

/** The decision and comment of a challenge request; a denial must say why. */
export function decisionFields(fields: Record<string, unknown>): { decision: 'approve' | 'deny' } {
  const decision = str(fields, 'decision');
  if (decision !== 'approve' && decision !== 'deny')
    throw new HttpError(400, 'decision must be approve or deny');
  if (decision === 'deny' && !str(fields, 'comment')?.trim())
    throw new HttpError(400, 'a denial needs a reason');
  return { decision };
}

/** The principal's confirmed passkeys, or a 403 that says how to get one. */
export async function requirePasskeys(ctx: WebContext, principal: string): Promise<PasskeyRecord[]> {
  const passkeys = await activePasskeys(ctx, principal);
  if (passkeys.length === 0)
    throw new HttpError(403, 'you have no confirmed passkey (see Passkeys)', 'no-passkey');
  return passkeys;
}

/** Keep `pending` as a single-use challenge for five minutes; send its id, payload and get() options. */
export async function sendChallenge(
  ctx: WebContext,
  x: SignedIn,
  pending: Omit<PendingChallenge, 'challenge' | 'expiresAt'>,
  passkeys: PasskeyRecord[],
): Promise<void> {
  const challenge = webauthnChallenge(pending.payloadText);
  const challengeId = randomUUID();
  x.session.challenges.set(challengeId, {
    ...pending,
    challenge,
    expiresAt: ctx.deps.now().getTime() + 5 * 60_000,
  });
  sendJson(x.res, 200, {
    challengeId,
    payload: pending.payloadText,
    options: await assertionOptions(ctx.rp, challenge, passkeys),
  });
}

/**
 * The challenge for `subject` (used once, whatever happens next), the assertion verified
 * against it with one of the principal's active passkeys: a webauthn proof over its payload.
 */
export async function takeAssertion(
  ctx: WebContext,
  x: SignedIn,
  subject: string,
): Promise<{ proof: WebAuthnProof; pending: PendingChallenge; comment: string | undefined }> {
  const fields = await readFields(x.req);
  const challengeId = str(fields, 'challengeId') ?? '';
  const pending = x.session.challenges.get(challengeId);
  x.session.challenges.delete(challengeId);
  if (!pending || pending.subject !== subject || pending.expiresAt < ctx.deps.now().getTime()) {
    throw new HttpError(
      409,
      'this signing request was already used or has expired (a replayed assertion is refused): reload the page',
      'replayed',
    );
  }
  const credential = fields.credential as { id?: unknown } | undefined;
  const passkey =
    typeof credential?.id === 'string' ? await ctx.deps.store.passkeys.get(credential.id) : undefined;
  const me = x.session.principal;
  if (!passkey || passkey.principal !== me || passkey.status !== 'active') {
    throw new HttpError(403, 'this passkey is not an active passkey of yours', 'unknown-passkey');
  }
  const registered = ctx.deps.registry.principal(me);
  if (!registered) throw new HttpError(403, `${me} is no longer a registered principal`, 'unknown-principal');
  const { proof, newCounter } = await verifyAssertion(ctx.rp, credential, {
    challenge: pending.challenge,
    payloadText: pending.payloadText,
    passkey,
    registeredKeyId: registered.keyId,
  });
  await ctx.deps.store.passkeys.update(passkey.credentialId, {
    counter: newCounter,
    lastUsedAt: ctx.deps.now().toISOString(),
  });
  return { proof, pending, comment: str(fields, 'comment')?.trim() || undefined };
}
