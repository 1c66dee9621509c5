/**
 * "Did you mean" for config problems (issue 16): an unknown field gets the nearest field the
 * schema allows at that path, an enum or variant tag (`type`, `method`, `driver`) the nearest
 * allowed value. Suggestions are names from the schema only; what the user wrote is shown no
 * more than load.ts already shows it (field names, short enum values).
 */
import type { ConfigProblem } from '../lib/errors.js';
import { didYouMean } from '../lib/suggest.js';
import { knownKeysAt } from './known-keys.js';
import { writtenConfigSchema } from './schema.js';

function objectAt(raw: unknown, path: readonly PropertyKey[]): Record<string, unknown> {
  let node = raw;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return {};
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string, unknown>) : {};
}

/** `unknown field(s): regoin (did you mean "region"?)`, with the fields allowed there. */
export function unknownFieldsProblem(
  path: string,
  issuePath: readonly PropertyKey[],
  keys: readonly string[],
  raw: unknown,
): ConfigProblem {
  const known = knownKeysAt(writtenConfigSchema, issuePath, raw);
  // A field already written is not what a misspelt one meant.
  const present = new Set(Object.keys(objectAt(raw, issuePath)));
  const candidates = (known ?? []).filter((k) => !present.has(k));
  return {
    path,
    message: `unknown field(s): ${keys.map((k) => `${k}${didYouMean(k, candidates)}`).join(', ')}`,
    expected: known
      ? `a field allowed here: ${[...known].sort().join(', ')} (docs/configuration.md)`
      : 'only the documented fields (docs/configuration.md)',
    found: keys.map((k) => JSON.stringify(k)).join(', '),
  };
}

/** The message with ` (did you mean "x"?)` when the written value is a near miss of an allowed one. */
export function withValueSuggestion(message: string, found: unknown, allowed: readonly unknown[]): string {
  if (typeof found !== 'string') return message;
  return `${message}${didYouMean(
    found,
    allowed.filter((v): v is string => typeof v === 'string'),
  )}`;
}
