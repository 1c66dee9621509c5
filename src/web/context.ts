import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DecisionDeps } from '../approval/decisions/decision-types.js';
import type { OwnerRegistry } from '../approval/owners/owner-registry.js';
import type { AuditLog } from '../audit/log.js';
import type { Config } from '../config/load.js';
import type { HttpConfig, OidcConfig } from '../config/web-schema.js';
import type { Logger } from '../log.js';
import type { Notifier } from '../notify/notifier.js';
import type { Store } from '../store/store.js';
import type { SignIn } from './oidc.js';
import type { RelyingParty } from './passkey-ceremony.js';
import type { WindowLimiter } from './rate-limit.js';
import type { Session, SessionStore } from './session.js';

/** What the approval page is built from (src/app.ts passes the app's parts). */
export interface WebDeps {
  config: Config & { http: HttpConfig; oidc: OidcConfig };
  store: Store;
  audit: AuditLog;
  notifier: Notifier;
  logger: Logger;
  now: () => Date;
  registry: OwnerRegistry;
}

export interface WebContext {
  deps: WebDeps;
  decisionDeps: DecisionDeps;
  rp: RelyingParty;
  sessions: SessionStore;
  signIn: SignIn;
  limits: { signIn: WindowLimiter; decisions: WindowLimiter };
  /** Secure cookies unless the page is on loopback over plain http. */
  secure: boolean;
  cookieName: string;
  loginCookieName: string;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  cookies: Record<string, string>;
}

export interface SignedIn extends Exchange {
  session: Session;
  sessionId: string;
}
