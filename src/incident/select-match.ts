import { resolveOwners } from '../approval/owners/owners.js';
import { classifyTier, globToRegExp } from '../approval/owners/tiers.js';
import { NhiError } from '../lib/errors.js';
import { sameFingerprint } from '../lib/fingerprint.js';
import { hasOwnKey, own } from '../lib/own.js';
import type { IdentityRecord } from '../provider.js';
import {
  type MatchContext,
  parseDate,
  type SelectionMatch,
  type Selector,
  type SelectorTerm,
  type TermName,
} from './select.js';

const DAY_MS = 86_400_000;
const quote = (s: string) => JSON.stringify(s);

type Compiled =
  | { name: 'tag'; key: string; value: string | undefined }
  | { name: 'ref'; re: RegExp }
  | { name: 'provider' | 'type' | 'kind' | 'owner' | 'team' | 'tier'; value: string }
  | { name: 'used-after'; after: number }
  | { name: 'refs-file'; refs: ReadonlySet<string> };

const compiledTerms = new WeakMap<SelectorTerm, Compiled>();

function compiled(term: SelectorTerm): Compiled {
  let c = compiledTerms.get(term);
  if (!c) {
    c = compile(term);
    compiledTerms.set(term, c);
  }
  return c;
}

function compile(term: SelectorTerm): Compiled {
  const bad = (why: string) => new NhiError('internal', `selector term ${quote(term.text)}: ${why}`);
  switch (term.name as TermName) {
    case 'tag': {
      const eq = term.value.indexOf('=');
      return eq < 0
        ? { name: 'tag', key: term.value, value: undefined }
        : { name: 'tag', key: term.value.slice(0, eq), value: term.value.slice(eq + 1) };
    }
    case 'ref':
      return { name: 'ref', re: globToRegExp(term.value) };
    case 'used-after': {
      const after = parseDate(term.value);
      if (after === undefined) throw bad('invalid date');
      return { name: 'used-after', after };
    }
    case 'refs-file':
      if (!term.refs) throw bad('no refs (refs-file terms come from parseSelectors)');
      return { name: 'refs-file', refs: new Set(term.refs) };
    case 'provider':
    case 'type':
    case 'kind':
    case 'owner':
    case 'team':
    case 'tier':
      return { name: term.name as 'provider', value: term.value };
    default:
      throw bad('unknown term');
  }
}

/** What matching needs beyond the record, worked out at most once per record. */
class Facts {
  private resolved?: string[];
  private decision?: ReturnType<typeof classifyTier>;
  constructor(
    readonly record: IdentityRecord,
    private readonly config: MatchContext['config'],
  ) {}
  get owners(): string[] {
    this.resolved ??= resolveOwners(this.record.owners, this.config.owners).principals;
    return this.resolved;
  }
  get tier(): ReturnType<typeof classifyTier> {
    this.decision ??= classifyTier(this.record, this.config.tiers);
    return this.decision;
  }
}

function lastUseUpperBound(record: IdentityRecord): number | undefined {
  if (!record.lastUsedAt) return undefined;
  const at = Date.parse(record.lastUsedAt);
  if (!Number.isFinite(at)) return undefined;
  // Known to the day only: it may have been used until the end of that UTC day.
  return record.lastUsedConfidence === 'day' ? Math.floor(at / DAY_MS) * DAY_MS + DAY_MS - 1 : at;
}

function termMatches(c: Compiled, facts: Facts, config: MatchContext['config']): boolean {
  const r = facts.record;
  switch (c.name) {
    case 'tag': {
      if (!hasOwnKey(r.tags, c.key)) return false;
      return c.value === undefined || own(r.tags, c.key) === c.value;
    }
    case 'ref':
      return c.re.test(r.ref);
    case 'provider':
      return r.instance === c.value;
    case 'type':
      return r.provider === c.value;
    case 'kind':
      return r.kind === c.value;
    case 'owner':
      return facts.owners.includes(c.value);
    case 'team': {
      if (r.owners.some((o) => o.trim() === c.value)) return true;
      const members = own(config.owners.teams, c.value) ?? [];
      return facts.owners.some((p) => members.includes(p));
    }
    case 'tier':
      return facts.tier.tier === c.value;
    case 'used-after': {
      const last = lastUseUpperBound(r);
      return last !== undefined && last > c.after;
    }
    case 'refs-file':
      return c.refs.has(r.ref);
  }
}

/** Texts of the selectors that select `record` (each once, in order); empty: not selected. */
export function matchIdentity(
  record: IdentityRecord,
  selectors: readonly Selector[],
  ctx: MatchContext,
): string[] {
  const facts = new Facts(record, ctx.config);
  const matched: string[] = [];
  for (const s of selectors) {
    if (matched.includes(s.text)) continue;
    if (s.terms.every((t) => termMatches(compiled(t), facts, ctx.config))) matched.push(s.text);
  }
  return matched;
}

/** Does the provider report the leaked value's fingerprint for the identity or one of its versions? */
export function holdsFingerprint(record: IdentityRecord, fingerprint: string): boolean {
  if (record.fingerprint && sameFingerprint(record.fingerprint, fingerprint)) return true;
  return record.versions.some(
    (v) => v.fingerprint !== undefined && sameFingerprint(v.fingerprint, fingerprint),
  );
}

/** The match the incident plan lists: the record with its tier and resolved owners. */
export function selectionMatch(record: IdentityRecord, matched: string[], ctx: MatchContext): SelectionMatch {
  const tier = classifyTier(record, ctx.config.tiers);
  return {
    record,
    tier: tier.tier,
    tierReason: tier.because ?? null,
    owners: resolveOwners(record.owners, ctx.config.owners).principals,
    matched,
  };
}
