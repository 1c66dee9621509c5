/**
 * Lookups in records keyed by names from outside (config names, provider tags, CLI flags).
 * `record[name]` on a plain object also finds prototype members: `constructor`, `toString`,
 * `hasOwnProperty`, `__proto__` (which is Object.prototype itself). These helpers see only the
 * record's own entries.
 */

/** `record[key]` when `key` is the record's own property, else undefined. */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Is `key` one of the record's own properties (never a prototype member)? */
export function hasOwnKey(record: object | undefined, key: string): boolean {
  return record !== undefined && Object.hasOwn(record, key);
}

/**
 * A record from key/value pairs that keeps every key as an own property: assigning
 * `out['__proto__'] = v` would instead try to replace the prototype (and drop the entry).
 * Later pairs win, as with assignment.
 */
export function recordFrom<T>(pairs: Iterable<readonly [string, T]>): Record<string, T> {
  return Object.fromEntries(pairs) as Record<string, T>;
}
