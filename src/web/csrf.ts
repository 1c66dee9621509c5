import { timingSafeEqual } from 'node:crypto';
import type { Session } from './session.js';

/**
 * Every state-changing request carries the session's CSRF token (form field `csrf` or header
 * `X-CSRF-Token`) on top of SameSite cookies: a cross-site page can neither read the token nor
 * make the browser send it.
 */
export function csrfOk(session: Session, sent: string | undefined): boolean {
  if (!sent) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}
