import type { ParsedConfig } from '../../config/schema.js';
import { own } from '../../lib/own.js';
import type { IdentityRecord } from '../../provider.js';

export type Tier = 'standard' | 'privileged';

/** Built-in facts that make an identity privileged whatever the config says. */
const PRIVILEGED_HINTS = new Set(['policy:root', 'policy:sudo', 'iam:admin']);

/** Glob with `*` (any run of characters) and `?` (one character), anchored. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export interface TierDecision {
  tier: Tier;
  /** Why: "tag tier=privileged", "ref pattern aws-prod:iam-key:*", "built-in: policy:root". */
  because?: string;
}

export function classifyTier(
  identity: Pick<IdentityRecord, 'ref' | 'tags' | 'privilegeHints'>,
  tiers: ParsedConfig['tiers'],
): TierDecision {
  const p = tiers.privileged;
  for (const [key, value] of Object.entries(p.tags)) {
    if (own(identity.tags, key) === value) return { tier: 'privileged', because: `tag ${key}=${value}` };
  }
  for (const pattern of p.refPatterns) {
    if (globToRegExp(pattern).test(identity.ref))
      return { tier: 'privileged', because: `ref pattern ${pattern}` };
  }
  if (p.builtinRules) {
    const hint = identity.privilegeHints?.find((h) => PRIVILEGED_HINTS.has(h));
    if (hint) return { tier: 'privileged', because: `built-in rule: ${hint}` };
  }
  return { tier: 'standard' };
}
