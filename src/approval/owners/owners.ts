import type { ParsedConfig } from '../../config/schema.js';
import { hasOwnKey, own } from '../../lib/own.js';

export interface OwnerResolution {
  /** Registered principals who own the identity (teams expanded), sorted. */
  principals: string[];
  /** Owner names from tags that match no registered principal or team. */
  unknown: string[];
}

/**
 * Owners named by provider tags may be principals or teams; expand teams and keep only
 * registered principals. An identity with no registered owner can only be recovered by
 * break-glass and is an `orphaned` finding. Names are matched against the registry's own entries
 * only: a tag `owner=constructor` or `owner=__proto__` is an unknown owner, not a prototype member.
 */
export function resolveOwners(tagOwners: readonly string[], owners: ParsedConfig['owners']): OwnerResolution {
  const principals = new Set<string>();
  const unknown: string[] = [];
  for (const raw of tagOwners) {
    const name = raw.trim();
    if (!name) continue;
    const team = own(owners.teams, name);
    if (hasOwnKey(owners.principals, name)) principals.add(name);
    else if (team) for (const m of team) principals.add(m);
    else unknown.push(name);
  }
  return { principals: [...principals].sort(), unknown };
}

/** Is `principal` in the break-glass group (listed directly or through a team)? */
export function isBreakGlassPrincipal(principal: string, owners: ParsedConfig['owners']): boolean {
  return owners.breakGlass.some((n) => n === principal || (own(owners.teams, n) ?? []).includes(principal));
}
