import type { Exchange, WebContext } from '../context.js';
import { cookie, HttpError, redirect } from '../http.js';

/** GET /login: off to the identity provider with PKCE, state and nonce kept server-side. */
export async function login(ctx: WebContext, x: Exchange): Promise<void> {
  const wait = ctx.limits.signIn.take(`ip:${x.req.socket.remoteAddress ?? '?'}`);
  if (wait !== undefined) {
    x.res.setHeader('Retry-After', String(wait));
    throw new HttpError(429, `too many sign-in attempts; try again in ${wait} s`);
  }
  const begun = await ctx.signIn.begin();
  const id = ctx.sessions.beginLogin({
    state: begun.state,
    nonce: begun.nonce,
    codeVerifier: begun.codeVerifier,
  });
  redirect(x.res, begun.url, [cookie(ctx.loginCookieName, id, { secure: ctx.secure, maxAgeSeconds: 600 })]);
}

/** GET /auth/callback: the code for tokens; the ID token's claim names the principal. */
export async function callback(ctx: WebContext, x: Exchange): Promise<void> {
  const wait = ctx.limits.signIn.take(`ip:${x.req.socket.remoteAddress ?? '?'}`);
  if (wait !== undefined) {
    x.res.setHeader('Retry-After', String(wait));
    throw new HttpError(429, `too many sign-in attempts; try again in ${wait} s`);
  }
  const pending = ctx.sessions.takeLogin(x.cookies[ctx.loginCookieName]);
  const clear = cookie(ctx.loginCookieName, '', { secure: ctx.secure, maxAgeSeconds: 0 });
  if (!pending) {
    x.res.setHeader('Set-Cookie', clear);
    throw new HttpError(400, 'this sign-in is unknown or took too long; start again');
  }
  const currentUrl = new URL(x.url.pathname + x.url.search, ctx.deps.config.http.publicUrl);
  let principal: string;
  try {
    principal = await ctx.signIn.finish(currentUrl, pending);
  } catch (error) {
    x.res.setHeader('Set-Cookie', clear);
    if (error instanceof HttpError) {
      ctx.deps.logger.warn(
        { component: 'web', rule: 'sign-in-refused', status: error.status },
        error.message,
      );
    }
    throw error;
  }
  const { id } = ctx.sessions.create(principal);
  ctx.deps.logger.info({ component: 'web', principal }, 'signed in');
  redirect(x.res, '/inbox', [clear, cookie(ctx.cookieName, id, { secure: ctx.secure })]);
}

/** POST /logout (CSRF-checked by the router). */
export function logout(ctx: WebContext, x: Exchange & { sessionId: string }): void {
  ctx.sessions.destroy(x.sessionId);
  redirect(x.res, '/signed-out', [cookie(ctx.cookieName, '', { secure: ctx.secure, maxAgeSeconds: 0 })]);
}
