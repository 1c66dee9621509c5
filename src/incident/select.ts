/**
 * Blast-radius selection for `nhi incident plan`: parsing and matching (pure; a refs-file is
 * read once, at parse time). The provider walk is in select-walk.ts.
 *
 * Selector language
 *
 *   nhi incident plan --select EXPR [--select EXPR ...] [--value-stdin]
 *
 *   EXPR is TERM[,TERM...]. An identity matches an EXPR when it matches ALL of its terms (AND, as
 *   in kubectl label selectors). Several --select are OR'd: the selection is their union.
 *   Whitespace around terms is trimmed; a term cannot contain a comma. A term is NAME:VALUE
 *   (the value is everything after the first ":"). Every comparison is exact and case-sensitive.
 *
 *   tag:KEY=VALUE       the identity has tag KEY and its value is VALUE (VALUE may be empty)
 *   tag:KEY             the identity has tag KEY, whatever its value
 *   ref:GLOB            the full ref <instance>:<kind>:<locator> matches GLOB, anchored at both
 *                       ends: "*" is any run of characters (":" and "/" included), "?" is one.
 *                       When the instance part (before the first ":") has no wildcard, it must
 *                       be a configured provider instance.
 *   provider:INSTANCE   the identity comes from provider instance INSTANCE (a configured one)
 *   type:TYPE           the provider type: vault, aws or azure
 *   kind:KIND           the credential kind: kv, approle, token, entity, secret or iam-key
 *   owner:PRINCIPAL     PRINCIPAL (a registered principal) is one of the identity's owners: the
 *                       owners its tags name, resolved through the owner registry (a tag naming
 *                       a team stands for every member of the team)
 *   team:TEAM           one of the identity's resolved owners is a member of TEAM (a configured
 *                       team), or an owner tag names TEAM itself
 *   tier:TIER           the identity's tier under the config's tiers: standard or privileged
 *   used-after:DATE     the identity was last used strictly after DATE: YYYY-MM-DD (00:00:00Z
 *                       that day) or an ISO-8601 date-time with a zone (2024-05-01T12:00:00Z,
 *                       2024-05-01T14:00+02:00). A last use known to the day only (confidence
 *                       "day") counts as the end of that UTC day. An identity with no known last
 *                       use does not match.
 *   refs-file:PATH      the identity's ref is listed in file PATH (relative to the current
 *                       directory): one ref per line; blank lines are ignored, and "#" starts a
 *                       comment at the start of a line or after a space. Each listed line must be
 *                       a ref (<instance>:<kind>:<locator>). Listed refs that no inventory holds
 *                       are reported as unrecoverable.
 *
 *   --value-stdin       the leaked value, read from stdin and fingerprinted at once (only its HMAC
 *                       fingerprint goes further). Alone, it selects every identity that holds
 *                       the value: its current or a listed version's fingerprint is the value's,
 *                       or nhi recorded the value for that ref in lineage (a revoked or an issued
 *                       version). With --select, it is one more way into the selection (union);
 *                       `matched` names it "value". Every provider instance is walked. A ref that
 *                       held the value per lineage but that no inventory holds is reported as
 *                       unrecoverable.
 *
 *   Without --value-stdin, only the provider instances some --select can reach are walked: those
 *   its provider:, type:, kind: (instances configured for that kind), refs-file: and ref: (with a
 *   literal instance) terms all allow; an EXPR with none of them walks every instance.
 *
 *   Errors (usage, exit code 2), each quoting the EXPR: an empty EXPR or term; an unknown term
 *   name (with a did-you-mean and the list of names); a term without a value; an unknown provider
 *   instance, type, kind, principal, team or tier (listing the known ones); a ref glob that can
 *   match no ref or names an instance not in config; an invalid date; a refs-file that cannot be
 *   read, lists no ref, or has a line that is not a ref (FILE:LINE).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveOwners } from '../approval/owners/owners.js';
import { classifyTier, globToRegExp, type Tier } from '../approval/owners/tiers.js';
import type { ParsedConfig } from '../config/schema.js';
import { NhiError, UsageError } from '../lib/errors.js';
import { sameFingerprint } from '../lib/fingerprint.js';
import { hasOwnKey, own } from '../lib/own.js';
import { formatRef, parseRef } from '../lib/ref.js';
import { didYouMean, unknownValueMessage } from '../lib/suggest.js';
import {
  type CredentialKind,
  type IdentityRecord,
  KINDS_BY_PROVIDER,
  type ProviderType,
} from '../provider.js';

export const TERM_NAMES = [
  'tag',
  'ref',
  'provider',
  'type',
  'kind',
  'owner',
  'team',
  'tier',
  'used-after',
  'refs-file',
] as const;
export type TermName = (typeof TERM_NAMES)[number];

/** What `matched` says for an identity selected because it holds the leaked value (--value-stdin). */
export const VALUE_SELECTOR = 'value';

const TERM_FORMS: Record<TermName, string> = {
  tag: 'tag:KEY=VALUE or tag:KEY',
  ref: 'ref:GLOB',
  provider: 'provider:INSTANCE',
  type: 'type:vault|aws|azure',
  kind: 'kind:KIND',
  owner: 'owner:PRINCIPAL',
  team: 'team:TEAM',
  tier: 'tier:standard|privileged',
  'used-after': 'used-after:DATE',
  'refs-file': 'refs-file:PATH',
};
const PROVIDER_TYPES: readonly ProviderType[] = ['vault', 'aws', 'azure'];
const KINDS: readonly CredentialKind[] = [...new Set(Object.values(KINDS_BY_PROVIDER).flat())];
const TIERS: readonly Tier[] = ['standard', 'privileged'];
const DAY_MS = 86_400_000;

/** One term of a selector. Plain data (JSON-safe): a copy matches as the original does. */
export interface SelectorTerm {
  name: string;
  value: string;
  /** The term as written, trimmed. */
  text: string;
  /** refs-file only: the refs the file listed when it was parsed, in file order, without repeats. */
  refs?: readonly string[];
}

/** One --select: its terms must all match. */
export interface Selector {
  /** The EXPR with whitespace around its terms removed (what `matched` reports). */
  text: string;
  terms: SelectorTerm[];
}

export interface ParseContext {
  config: Pick<ParsedConfig, 'providers' | 'owners' | 'tiers'>;
  /** refs-file paths resolve against it (the CLI passes its working directory). */
  baseDir: string;
  readFile?: (path: string) => string;
}

export interface MatchContext {
  config: Pick<ParsedConfig, 'owners' | 'tiers'>;
}

export interface SelectionMatch {
  record: IdentityRecord;
  tier: Tier;
  /** Why the tier is privileged ("tag tier=privileged", ...); null for standard. */
  tierReason: string | null;
  /** Registered principals who own the identity (teams expanded), sorted. */
  owners: string[];
  /** Texts of the selectors that matched, in --select order, then "value" for the leaked value. */
  matched: string[];
}

const quote = (s: string) => JSON.stringify(s);

/** Parse every --select EXPR; throws UsageError naming the EXPR at the first problem. */
export function parseSelectors(exprs: readonly string[], ctx: ParseContext): Selector[] {
  return exprs.map((expr) => parseSelector(expr, ctx));
}

function parseSelector(expr: string, ctx: ParseContext): Selector {
  const fail = (problem: string): never => {
    throw new UsageError(`--select ${quote(expr)}: ${problem}`);
  };
  if (expr.trim() === '')
    fail('empty selector; expected TERM[,TERM...], e.g. tag:ci-system=jenkins,kind:secret');
  const parts = expr.split(',').map((t) => t.trim());
  const terms = parts.map((text, i) => {
    if (text === '') fail(`term ${i + 1} of ${parts.length} is empty (terms are separated by single commas)`);
    return parseTerm(text, ctx, fail);
  });
  return { text: parts.join(','), terms };
}

function parseTerm(text: string, ctx: ParseContext, fail: (problem: string) => never): SelectorTerm {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const value = colon < 0 ? '' : text.slice(colon + 1).trim();
  if (!(TERM_NAMES as readonly string[]).includes(name)) {
    const hint =
      colon < 0 && text.includes('=') ? `; for a tag, write tag:${text}` : ' (a term is NAME:VALUE)';
    fail(`${unknownValueMessage('unknown term', name, TERM_NAMES)}${hint}`);
  }
  const term = name as TermName;
  if (value === '') fail(`term "${term}" needs a value: ${TERM_FORMS[term]}`);
  const { config } = ctx;
  const oneOf = (what: string, known: readonly string[]) => {
    if (known.includes(value)) return;
    fail(
      known.length === 0 ? `${what} "${value}": none is configured` : unknownValueMessage(what, value, known),
    );
  };
  switch (term) {
    case 'tag':
      if (value.startsWith('=')) fail(`term "${text}" needs a tag key: ${TERM_FORMS.tag}`);
      break;
    case 'ref': {
      const first = value.indexOf(':');
      if (first < 0 && !value.includes('*'))
        fail(`ref glob "${value}" can match no ref: expected <instance>:<kind>:<locator> with * and ?`);
      const instance = first < 0 ? undefined : value.slice(0, first);
      if (instance !== undefined && !/[*?]/.test(instance) && !hasOwnKey(config.providers, instance)) {
        const known = Object.keys(config.providers);
        fail(
          `ref glob "${value}" names provider instance "${instance}", which is not in config${didYouMean(instance, known)}; configured: ${known.join(', ')}`,
        );
      }
      break;
    }
    case 'provider':
      oneOf('unknown provider instance', Object.keys(config.providers));
      break;
    case 'type':
      oneOf('unknown provider type', PROVIDER_TYPES);
      break;
    case 'kind':
      oneOf('unknown credential kind', KINDS);
      break;
    case 'owner':
      oneOf('unknown principal', Object.keys(config.owners.principals));
      break;
    case 'team':
      oneOf('unknown team', Object.keys(config.owners.teams));
      break;
    case 'tier':
      oneOf('unknown tier', TIERS);
      break;
    case 'used-after':
      if (parseDate(value) === undefined)
        fail(
          `invalid date "${value}" for used-after: expected YYYY-MM-DD or an ISO-8601 date-time with a zone, e.g. 2024-05-01 or 2024-05-01T12:00:00Z`,
        );
      break;
    case 'refs-file':
      return { name: term, value, text, refs: readRefsFile(value, ctx, fail) };
  }
  return { name: term, value, text };
}

function readRefsFile(path: string, ctx: ParseContext, fail: (problem: string) => never): string[] {
  const full = resolve(ctx.baseDir, path);
  let content: string;
  try {
    content = (ctx.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(full);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return fail(`refs-file ${path}: cannot read ${full}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  const refs = new Set<string>();
  content.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    try {
      refs.add(formatRef(parseRef(line)));
    } catch (error) {
      fail(`refs-file ${path}:${i + 1}: ${(error as Error).message}`);
    }
  });
  if (refs.size === 0) fail(`refs-file ${path} lists no ref`);
  return [...refs];
}

/** YYYY-MM-DD (midnight UTC) or an ISO-8601 date-time with Z or an offset, as epoch ms. */
export function parseDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(T(\d{2}):(\d{2})(:(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2})))?$/.exec(
    text,
  );
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  // Date.parse would roll 2024-02-30 over to March 1.
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return undefined;
  if (m[4] === undefined) return day.getTime();
  if (Number(m[5]) > 23 || Number(m[6]) > 59 || Number(m[8] ?? 0) > 59) return undefined;
  if (m[11] !== undefined && (Number(m[11]) > 23 || Number(m[12]) > 59)) return undefined;
  const at = Date.parse(text);
  return Number.isFinite(at) ? at : undefined;
}

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

export interface WalkPlan {
  /** Provider instances that can hold a selected identity, in config order. */
  instances: string[];
  /**
   * Refs named by refs-file terms that the walk must see, else they are reported missing, with
   * the texts of the selectors that named them. A ref is left out when the rest of its selector
   * rules out its instance (it could not be selected anyway).
   */
  expected: Map<string, string[]>;
}

/** Instances a term confines its selector to; undefined: any. */
function termInstances(term: SelectorTerm, config: Pick<ParsedConfig, 'providers'>): Set<string> | undefined {
  const all = Object.keys(config.providers);
  switch (term.name as TermName) {
    case 'provider':
      return new Set([term.value]);
    case 'type':
      return new Set(all.filter((n) => own(config.providers, n)?.type === term.value));
    case 'kind':
      // Only instances configured to inventory that kind can hold one.
      return new Set(
        all.filter((n) => {
          const p = own(config.providers, n);
          return p !== undefined && (p.kinds as readonly string[]).includes(term.value);
        }),
      );
    case 'ref': {
      const first = term.value.indexOf(':');
      const instance = first < 0 ? undefined : term.value.slice(0, first);
      return instance === undefined || /[*?]/.test(instance) ? undefined : new Set([instance]);
    }
    case 'refs-file':
      return new Set((term.refs ?? []).map((r) => r.slice(0, r.indexOf(':'))));
    default:
      return undefined;
  }
}

function intersect(sets: readonly (Set<string> | undefined)[]): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (const s of sets) {
    if (s === undefined) continue;
    out = out === undefined ? new Set(s) : new Set([...out].filter((x) => s.has(x)));
  }
  return out;
}

/**
 * Which instances to walk and which refs-file refs to expect. With the leaked value every
 * instance is walked (any of them may hold it); otherwise only those some selector can reach.
 */
export function planWalk(
  selectors: readonly Selector[],
  config: Pick<ParsedConfig, 'providers'>,
  opts: { value: boolean },
): WalkPlan {
  const all = Object.keys(config.providers);
  const reach = new Set<string>();
  let everywhere = opts.value;
  const expected = new Map<string, string[]>();
  for (const s of selectors) {
    const lists = s.terms.filter((t) => t.name === 'refs-file').map((t) => t.refs ?? []);
    const others = intersect(
      s.terms.filter((t) => t.name !== 'refs-file').map((t) => termInstances(t, config)),
    );
    const confined = intersect(s.terms.map((t) => termInstances(t, config)));
    if (confined === undefined) everywhere = true;
    else for (const n of confined) reach.add(n);
    const [first, ...rest] = lists;
    if (!first) continue;
    const restSets = rest.map((l) => new Set(l));
    const candidates = first.filter((r) => restSets.every((l) => l.has(r)));
    for (const ref of candidates) {
      if (others !== undefined && !others.has(ref.slice(0, ref.indexOf(':')))) continue;
      const named = expected.get(ref);
      if (!named) expected.set(ref, [s.text]);
      else if (!named.includes(s.text)) named.push(s.text);
    }
  }
  return { instances: everywhere ? all : all.filter((n) => reach.has(n)), expected };
}
