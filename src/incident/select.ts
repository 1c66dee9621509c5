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
import type { Tier } from '../approval/owners/tiers.js';
import type { ParsedConfig } from '../config/schema.js';
import { UsageError } from '../lib/errors.js';
import { hasOwnKey } from '../lib/own.js';
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
const _DAY_MS = 86_400_000;

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
