/**
 * Server-side sessions for the approval page, in memory (a restart signs everyone out, which
 * is the safe direction). The cookie holds only a random id; the map is keyed by its SHA-256,
 * so a heap dump or a log line with a key cannot be replayed as a cookie. Idle and absolute
 * expiry are checked on every read against the injected clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SubsetLeaf } from '../approval/signing/incident-proof.js';

export interface PendingChallenge {
  /** What the signature decides: `requests/<id>` or `incidents/<id>`; used nowhere else. */
  subject: string;
  decision: 'approve' | 'deny';
  /** The canonical payload the passkey must sign (its sha256 is the challenge). */
  payloadText: string;
  /** For an incident share: the (requestId, planDigest) leaves the payload's subset root covers. */
  subset?: SubsetLeaf[];
  challenge: string;
  expiresAt: number;
}

export interface Session {
  principal: string;
  createdAt: number;
  lastSeen: number;
  /** Sent back with every POST (form field or header); compared in constant time. */
  csrfToken: string;
  /** Single-use decision challenges by id: a used or replayed one is gone. */
  challenges: Map<string, PendingChallenge>;
  /** The registration challenge of a passkey being enrolled. */
  registration?: { challenge: string; expiresAt: number };
}

export interface LoginState {
  state: string;
  nonce: string;
  codeVerifier: string;
  createdAt: number;
}

export type SessionLookup = { session: Session } | { expired: true } | { none: true };

const hash = (id: string) => createHash('sha256').update(id).digest('base64url');
export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #logins = new Map<string, LoginState>();

  constructor(
    private readonly opts: { idleMs: number; absoluteMs: number; loginMs?: number; now: () => Date },
  ) {}

  create(principal: string): { id: string; session: Session } {
    const id = randomToken();
    const t = this.opts.now().getTime();
    const session: Session = {
      principal,
      createdAt: t,
      lastSeen: t,
      csrfToken: randomToken(),
      challenges: new Map(),
    };
    this.#sessions.set(hash(id), session);
    this.#sweep(t);
    return { id, session };
  }

  get(id: string | undefined): SessionLookup {
    if (!id) return { none: true };
    const key = hash(id);
    const session = this.#sessions.get(key);
    if (!session) return { none: true };
    const t = this.opts.now().getTime();
    if (t - session.lastSeen > this.opts.idleMs || t - session.createdAt > this.opts.absoluteMs) {
      this.#sessions.delete(key);
      return { expired: true };
    }
    session.lastSeen = t;
    return { session };
  }

  destroy(id: string | undefined): void {
    if (id) this.#sessions.delete(hash(id));
  }

  beginLogin(login: Omit<LoginState, 'createdAt'>): string {
    const id = randomToken();
    this.#logins.set(hash(id), { ...login, createdAt: this.opts.now().getTime() });
    return id;
  }

  /** The login in progress for this cookie, once: a callback cannot be replayed. */
  takeLogin(id: string | undefined): LoginState | undefined {
    if (!id) return undefined;
    const key = hash(id);
    const login = this.#logins.get(key);
    this.#logins.delete(key);
    if (!login || this.opts.now().getTime() - login.createdAt > (this.opts.loginMs ?? 600_000))
      return undefined;
    return login;
  }

  #sweep(t: number): void {
    for (const [k, s] of this.#sessions) {
      if (t - s.lastSeen > this.opts.idleMs || t - s.createdAt > this.opts.absoluteMs)
        this.#sessions.delete(k);
    }
    for (const [k, l] of this.#logins)
      if (t - l.createdAt > (this.opts.loginMs ?? 600_000)) this.#logins.delete(k);
  }
}
