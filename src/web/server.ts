/**
 * The approval page, served by `nhi serve` on `http.listen` (docs/adr/060-approval-page.md).
 * node:http (or node:https with http.tls), a small router, server-side sessions, CSRF on every
 * POST, a strict CSP. Logs carry method, path (never the query: it holds the sign-in code),
 * status and principal — never cookies, tokens or the client secret.
 */
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { configRelative } from '../config/load.js';
import { isLoopbackHost, parseListen } from '../config/web-schema.js';
import type { Exchange, SignedIn, WebContext, WebDeps } from './context.js';
import { csrfOk } from './csrf.js';
import { securityHeaders } from './headers.js';
import { HttpError, readCookies, readFields, sendHtml, sendJson, str } from './http.js';
import { createSignIn } from './oidc.js';
import { WindowLimiter } from './rate-limit.js';
import { callback, login, logout } from './routes/auth.js';
import { incidentChallenge, incidentDecide, incidentView } from './routes/incidents.js';
import { passkeyOptions, passkeyRegister, passkeysView } from './routes/passkeys.js';
import { challenge, decide, inbox, requestView } from './routes/requests.js';
import { SessionStore } from './session.js';
import { APP_JS } from './views/client-script.js';
import { messagePage } from './views/layout.js';
import { APP_CSS } from './views/styles.js';

export interface ApprovalServer {
  /** The address actually bound (port 0 in tests picks a free one). */
  url: string;
  close(): Promise<void>;
}

export function webContext(deps: WebDeps): WebContext {
  const { http, oidc } = deps.config;
  const publicUrl = new URL(http.publicUrl);
  const secure = publicUrl.protocol === 'https:' || !isLoopbackHost(publicUrl.hostname);
  return {
    deps,
    decisionDeps: {
      store: deps.store,
      audit: deps.audit,
      config: deps.config,
      notifier: deps.notifier,
      registry: deps.registry,
    },
    rp: { rpId: publicUrl.hostname, origin: publicUrl.origin },
    sessions: new SessionStore({
      idleMs: http.session.idleMinutes * 60_000,
      absoluteMs: http.session.absoluteHours * 3_600_000,
      now: deps.now,
    }),
    signIn: createSignIn(oidc, new URL('/auth/callback', publicUrl).href, deps.registry),
    limits: {
      signIn: new WindowLimiter(http.rateLimits.signInPerMinute, deps.now),
      decisions: new WindowLimiter(http.rateLimits.decisionsPerMinute, deps.now),
    },
    secure,
    cookieName: secure ? '__Host-nhi_session' : 'nhi_session',
    loginCookieName: secure ? '__Host-nhi_login' : 'nhi_login',
  };
}

const STATIC: Record<string, { type: string; body: string }> = {
  '/static/app.js': { type: 'text/javascript; charset=utf-8', body: APP_JS },
  '/static/app.css': { type: 'text/css; charset=utf-8', body: APP_CSS },
};

async function route(ctx: WebContext, x: Exchange): Promise<void> {
  const { req, res, url } = x;
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const asset = STATIC[path];
  if (method === 'GET' && asset) {
    res.setHeader('Content-Type', asset.type);
    res.end(asset.body);
    return;
  }
  if (method === 'GET' && path === '/healthz') return sendJson(res, 200, { ok: true });
  if (method === 'GET' && path === '/login') return login(ctx, x);
  if (method === 'GET' && path === '/auth/callback') return callback(ctx, x);
  if (method === 'GET' && path === '/signed-out') {
    return sendHtml(
      res,
      200,
      messagePage('Signed out', 'You are signed out.', { signIn: true, cls: 'notice' }),
    );
  }
  const found = ctx.sessions.get(x.cookies[ctx.cookieName]);
  if (!('session' in found)) {
    const why =
      'expired' in found ? 'Your session has expired. Sign in again.' : 'Sign in to decide requests.';
    if (method === 'GET')
      return sendHtml(res, 401, messagePage('Sign in', why, { signIn: true, cls: 'notice' }));
    throw new HttpError(401, why, 'no-session');
  }
  const signed: SignedIn = { ...x, session: found.session, sessionId: x.cookies[ctx.cookieName] ?? '' };
  if (method === 'POST') {
    // The form field is read by the handler; a JSON call sends the header. Forms only post /logout.
    const header = req.headers['x-csrf-token'];
    const sent = typeof header === 'string' ? header : undefined;
    if (path === '/logout') {
      const fields = await readFields(req);
      if (!csrfOk(found.session, sent ?? str(fields, 'csrf')))
        throw new HttpError(403, 'missing or invalid CSRF token', 'csrf');
      return logout(ctx, signed);
    }
    if (!csrfOk(found.session, sent)) throw new HttpError(403, 'missing or invalid CSRF token', 'csrf');
  }
  if (method === 'GET' && (path === '/' || path === '/inbox')) return inbox(ctx, signed);
  if (method === 'GET' && path === '/passkeys') return passkeysView(ctx, signed);
  if (method === 'POST' && path === '/passkeys/options') return passkeyOptions(ctx, signed);
  if (method === 'POST' && path === '/passkeys/register') return passkeyRegister(ctx, signed);
  const m = /^\/requests\/([A-Za-z0-9_-]{1,100})(\/challenge|\/decide)?$/.exec(path);
  if (m?.[1]) {
    const id = m[1];
    if (method === 'GET' && !m[2]) return requestView(ctx, signed, id);
    if (method === 'POST' && m[2] === '/challenge') return challenge(ctx, signed, id);
    if (method === 'POST' && m[2] === '/decide') return decide(ctx, signed, id);
  }
  const inc = /^\/incidents\/([A-Za-z0-9_-]{1,100})(\/challenge|\/decide)?$/.exec(path);
  if (inc?.[1]) {
    const id = inc[1];
    if (method === 'GET' && !inc[2]) return incidentView(ctx, signed, id);
    if (method === 'POST' && inc[2] === '/challenge') return incidentChallenge(ctx, signed, id);
    if (method === 'POST' && inc[2] === '/decide') return incidentDecide(ctx, signed, id);
  }
  throw new HttpError(404, 'not found');
}

function handler(ctx: WebContext) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      res.statusCode = 400;
      res.end();
      return;
    }
    securityHeaders(res, ctx.secure);
    const x: Exchange = { req, res, url, cookies: readCookies(req) };
    route(ctx, x)
      .catch((error: unknown) => {
        const known = error instanceof HttpError;
        const status = known ? error.status : 500;
        if (!known)
          ctx.deps.logger.error(
            { component: 'web', path: url.pathname, err: (error as Error).name },
            'request failed',
          );
        const message = known ? error.message : 'internal error (see the server log)';
        if (res.headersSent) return void res.end();
        const wantsJson = req.method === 'POST' || (req.headers.accept ?? '').includes('application/json');
        if (wantsJson)
          sendJson(res, status, { error: message, ...(known && error.rule ? { rule: error.rule } : {}) });
        else sendHtml(res, status, messagePage(status === 404 ? 'Not found' : 'Refused', message));
      })
      .finally(() => {
        ctx.deps.logger.info(
          {
            component: 'web',
            method: req.method,
            path: url.pathname,
            status: res.statusCode,
            ms: Date.now() - started,
          },
          'http',
        );
      });
  };
}

/** Start listening on http.listen (TLS with http.tls); close() stops accepting and ends idle sockets. */
export async function startApprovalServer(
  deps: WebDeps,
  opts: { listen?: string } = {},
): Promise<ApprovalServer> {
  const ctx = webContext(deps);
  const { http } = deps.config;
  const { host, port } = parseListen(opts.listen ?? http.listen);
  const server: Server = http.tls
    ? createHttpsServer(
        { cert: readFileSync(configRelative(deps.config, http.tls.cert)), key: http.tls.key.reveal() },
        handler(ctx),
      )
    : createHttpServer(handler(ctx));
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${http.tls ? 'https' : 'http'}://${shown}:${address.port}`;
  deps.logger.info({ component: 'web', url, publicUrl: http.publicUrl }, 'approval page listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
