/**
 * The blast-radius walk of `nhi incident plan`: stream the inventories of the provider instances
 * the selectors can reach and yield each selected identity as it goes by. Memory holds the
 * matches the caller keeps, the refs named by refs-file terms and the refs lineage records for
 * the leaked value, never the estate. Grammar and matching: select.ts.
 */
import type { ParsedConfig } from '../config/schema.js';
import { NhiError, UsageError } from '../lib/errors.js';
import { sameFingerprint } from '../lib/fingerprint.js';
import { hasOwnKey } from '../lib/own.js';
import type { CredentialProvider } from '../provider.js';
import type { Store } from '../store/store.js';
import { type SelectionMatch, type Selector, VALUE_SELECTOR } from './select.js';
import { holdsFingerprint, matchIdentity, selectionMatch } from './select-match.js';
import { planWalk } from './select-plan.js';

export type { SelectionMatch } from './select.js';

export interface SelectionDeps {
  config: Pick<ParsedConfig, 'providers' | 'owners' | 'tiers'>;
  provider(instance: string): Promise<CredentialProvider>;
  store: Pick<Store, 'lineage'>;
  signal?: AbortSignal;
}

export interface SelectionOptions {
  /** The leaked value's fingerprint (the app's Fingerprinter), never the value. */
  valueFingerprint?: string;
  /** After each identity an instance's inventory yields (and once with 0 as its walk starts). */
  onProgress?: (instance: string, seen: number) => void;
}

/** A ref the selection names that no walked inventory holds: the incident lists it as unrecoverable. */
export interface MissingRef {
  ref: string;
  reason: string;
  /** Selectors (refs-file) that named it, and "value" when lineage says it held the leaked value. */
  matched: string[];
}

/** What the walk returns when it is done (the generator's return value). */
export interface SelectionSummary {
  missing: MissingRef[];
  /** Provider instances whose inventory was walked, in config order. */
  walked: string[];
  /** Identities seen in those inventories, selected or not. */
  seen: number;
}

const FINGERPRINT = /^hmac-sha256:[0-9a-f]{64}$/;

/**
 * Yield every identity the selectors (OR'd) or the leaked value select, instance by instance in
 * config order and in each provider's own order; return the refs that were named but not found.
 * Inventory errors propagate: a blast radius with an instance silently left out is not one.
 */
export async function* walkSelection(
  deps: SelectionDeps,
  selectors: readonly Selector[],
  opts: SelectionOptions = {},
): AsyncGenerator<SelectionMatch, SelectionSummary, undefined> {
  const fp = opts.valueFingerprint;
  if (selectors.length === 0 && fp === undefined)
    throw new UsageError('nothing to select: give --select EXPR (one or more), --value-stdin, or both');
  // Never echo it: a caller passing the value itself by mistake must not see it printed.
  if (fp !== undefined && !FINGERPRINT.test(fp))
    throw new NhiError('internal', 'walkSelection: valueFingerprint is not an hmac-sha256 fingerprint');
  const { config, signal } = deps;
  const ctx = { config };

  const valueRefs = fp === undefined ? new Set<string>() : await lineageRefsHolding(deps, fp);
  const plan = planWalk(selectors, config, { value: fp !== undefined });

  // Named refs not seen yet, in the order they were named: refs-file first, then lineage.
  const pending = new Map<string, { matched: string[]; value: boolean }>();
  for (const [ref, matched] of plan.expected) pending.set(ref, { matched: [...matched], value: false });
  for (const ref of valueRefs) {
    const entry = pending.get(ref);
    if (entry) entry.value = true;
    else pending.set(ref, { matched: [], value: true });
  }

  let seen = 0;
  for (const instance of plan.instances) {
    signal?.throwIfAborted();
    const provider = await deps.provider(instance);
    let instanceSeen = 0;
    opts.onProgress?.(instance, 0);
    for await (const record of provider.inventory(signal ? { signal } : {})) {
      signal?.throwIfAborted();
      seen++;
      instanceSeen++;
      pending.delete(record.ref);
      const matched = selectors.length > 0 ? matchIdentity(record, selectors, ctx) : [];
      if (fp !== undefined && (valueRefs.has(record.ref) || holdsFingerprint(record, fp)))
        matched.push(VALUE_SELECTOR);
      opts.onProgress?.(instance, instanceSeen);
      if (matched.length > 0) yield selectionMatch(record, matched, ctx);
    }
  }

  const missing: MissingRef[] = [];
  for (const [ref, { matched, value }] of pending) {
    const instance = ref.slice(0, ref.indexOf(':'));
    const configured = hasOwnKey(config.providers, instance);
    const reason = value
      ? configured
        ? `holds the leaked value (recorded by nhi) but not found in the inventory of ${instance}`
        : `holds the leaked value (recorded by nhi) but there is no provider instance "${instance}" in config`
      : configured
        ? `not found in the inventory of ${instance}`
        : `no provider instance "${instance}" in config`;
    missing.push({ ref, reason, matched: value ? [...matched, VALUE_SELECTOR] : matched });
  }
  return { missing, walked: plan.instances, seen };
}

/** Refs whose lineage records the fingerprint (an issued or a revoked version), streamed. */
async function lineageRefsHolding(deps: SelectionDeps, fp: string): Promise<Set<string>> {
  const refs = new Set<string>();
  for await (const rec of deps.store.lineage.all()) {
    deps.signal?.throwIfAborted();
    if (refs.has(rec.ref)) continue;
    const held =
      (rec.newVersion !== undefined && sameFingerprint(rec.newVersion.fingerprint, fp)) ||
      rec.oldVersions.some((v) => v.fingerprint !== undefined && sameFingerprint(v.fingerprint, fp));
    if (held) refs.add(rec.ref);
  }
  return refs;
}

/**
 * walkSelection for callers that do not drive the generator themselves: `onMatch` gets each
 * selected identity as it is found (keep what you need); resolves to the summary.
 */
export async function forEachSelected(
  deps: SelectionDeps,
  selectors: readonly Selector[],
  opts: SelectionOptions,
  onMatch: (match: SelectionMatch) => void | Promise<void>,
): Promise<SelectionSummary> {
  const walk = walkSelection(deps, selectors, opts);
  try {
    for (;;) {
      const step = await walk.next();
      if (step.done) return step.value;
      await onMatch(step.value);
    }
  } finally {
    // Stops the walk (and the provider's inventory) when onMatch threw.
    await walk.return(undefined as never);
  }
}
