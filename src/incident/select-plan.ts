import type { ParsedConfig } from '../config/schema.js';
import { own } from '../lib/own.js';
import type { Selector, SelectorTerm, TermName } from './select.js';

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
