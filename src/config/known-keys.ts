/**
 * The fields a config object may have at a JSON path, read from the zod schema itself, so a
 * misspelt key can be answered with the nearest real one ("regoin" -> "region") and the list
 * can never drift from the schema. The walk follows the written value where the schema
 * branches (a provider block's `type` picks its variant). It uses zod's documented
 * introspection (`schema._zod.def`); an unknown node type ends the walk with no suggestion.
 */
import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  valueType?: z.core.$ZodType;
  element?: z.core.$ZodType;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  options?: z.core.$ZodType[];
  discriminator?: string;
  values?: unknown[];
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'nonoptional', 'readonly', 'catch']);

function defOf(schema: z.core.$ZodType): Def {
  return schema._zod.def as unknown as Def;
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(s);
    if (WRAPPERS.has(def.type) && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return s;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The union option the written value belongs to (by discriminator), or every object option. */
function unionOptions(def: Def, raw: unknown): z.core.$ZodType[] {
  const options = (def.options ?? []).map(unwrap).filter((o) => defOf(o).type === 'object');
  if (!def.discriminator || !isObj(raw)) return options;
  const tag = raw[def.discriminator];
  const match = options.filter((o) => {
    const field = defOf(o).shape?.[def.discriminator as string];
    return field !== undefined && (defOf(unwrap(field)).values ?? []).includes(tag);
  });
  return match.length > 0 ? match : options;
}

/** Field names of the object at `path` in `raw`, per `schema`; undefined if the walk cannot tell. */
export function knownKeysAt(
  schema: z.core.$ZodType,
  path: readonly PropertyKey[],
  raw: unknown,
): string[] | undefined {
  const s = unwrap(schema);
  const def = defOf(s);
  if (def.type === 'union') {
    const keys = new Set<string>();
    for (const option of unionOptions(def, raw))
      for (const k of knownKeysAt(option, path, raw) ?? []) keys.add(k);
    return keys.size > 0 ? [...keys] : undefined;
  }
  if (path.length === 0) return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
  const [head, ...rest] = path;
  const child =
    isObj(raw) || Array.isArray(raw) ? (raw as Record<PropertyKey, unknown>)[head as PropertyKey] : undefined;
  if (def.type === 'object' && typeof head === 'string' && def.shape && Object.hasOwn(def.shape, head))
    return knownKeysAt(def.shape[head] as z.core.$ZodType, rest, child);
  if (def.type === 'record' && def.valueType) return knownKeysAt(def.valueType, rest, child);
  if (def.type === 'array' && def.element) return knownKeysAt(def.element, rest, child);
  return undefined;
}
