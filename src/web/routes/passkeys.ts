import { registerPendingPasskey } from '../../approval/passkeys/passkeys.js';
import { PolicyError } from '../../lib/errors.js';
import type { SignedIn, WebContext } from '../context.js';
import { HttpError, readFields, sendHtml, sendJson } from '../http.js';
import { registrationOptions, verifyRegistration } from '../passkey-ceremony.js';
import { passkeysPage } from '../views/inbox.js';

export async function passkeysView(ctx: WebContext, x: SignedIn): Promise<void> {
  const mine = await ctx.deps.store.passkeys.forPrincipal(x.session.principal);
  sendHtml(
    x.res,
    200,
    passkeysPage({ principal: x.session.principal, csrfToken: x.session.csrfToken }, mine),
  );
}

/** POST /passkeys/options: a registration challenge for this session. */
export async function passkeyOptions(ctx: WebContext, x: SignedIn): Promise<void> {
  await readFields(x.req);
  const existing = await ctx.deps.store.passkeys.forPrincipal(x.session.principal);
  const options = await registrationOptions(ctx.rp, x.session.principal, existing);
  x.session.registration = { challenge: options.challenge, expiresAt: ctx.deps.now().getTime() + 5 * 60_000 };
  sendJson(x.res, 200, { options });
}

/** POST /passkeys/register: stored *pending*; only the principal's key can activate it. */
export async function passkeyRegister(ctx: WebContext, x: SignedIn): Promise<void> {
  const wait = ctx.limits.decisions.take(`principal:${x.session.principal}`);
  if (wait !== undefined) throw new HttpError(429, `too many attempts; try again in ${wait} s`);
  const fields = await readFields(x.req);
  const pending = x.session.registration;
  delete x.session.registration;
  if (!pending || pending.expiresAt < ctx.deps.now().getTime()) {
    throw new HttpError(409, 'this registration was already used or has expired: start again');
  }
  const me = x.session.principal;
  const passkey = await verifyRegistration(ctx.rp, me, fields.credential, pending.challenge, ctx.deps.now());
  try {
    await registerPendingPasskey(
      { store: ctx.deps.store, audit: ctx.deps.audit, registry: ctx.deps.registry },
      passkey,
    );
  } catch (error) {
    if (error instanceof PolicyError) throw new HttpError(403, error.message, error.rule);
    throw error;
  }
  sendJson(x.res, 200, {
    credentialId: passkey.credentialId,
    message:
      'Passkey registered, pending. It approves nothing until you confirm it with your registered key:',
    // `--` before the id: a base64url credential id may start with '-', which would read as an option.
    confirmCommand: `nhi passkey confirm ${me} --key <your key file> -- ${passkey.credentialId}`,
  });
}
