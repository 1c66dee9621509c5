/**
 * Which fields of a KV secret reissue regenerates and which it keeps (docs/adr/015). Every field
 * is secret unless the runbook (reissue `params.nonSecretFields`) or the instance config
 * (`kv.nonSecretFields`) names it non-secret; every secret field is regenerated, by its
 * per-field generator (reissue `params.generators.<field>`) or the runbook's generator. A field
 * whose value the generator cannot stand in for (a URL with an embedded password, a private
 * key, structured data) makes the plan refuse, naming the field and the fix: an attacker who
 * read the secret must not keep a working part of it.
 */
import { PolicyError, UsageError } from '../../src/lib/errors.js';
import { type GeneratorSpec, generatorSpecSchema } from '../../src/lib/generator.js';
import type { FieldPlan } from '../../src/provider.js';

export interface KvFieldParams {
  nonSecretFields: string[];
  generators: Record<string, GeneratorSpec>;
  /** Older runbooks: the secret fields, named; the others are kept. */
  fields?: string[];
}

const fieldName = (x: unknown): x is string => typeof x === 'string' && /^[^,]+$/.test(x) && x.length <= 128;

/** The reissue step's field parameters, validated (UsageError names the bad one). */
export function kvFieldParams(params: Record<string, unknown>): KvFieldParams {
  const list = (key: string, value: unknown): string[] => {
    if (!Array.isArray(value) || !value.every(fieldName))
      throw new UsageError(`kv reissue: params.${key} must be a list of field names`);
    return value;
  };
  const out: KvFieldParams = {
    nonSecretFields:
      params.nonSecretFields === undefined ? [] : list('nonSecretFields', params.nonSecretFields),
    generators: {},
  };
  if (params.fields !== undefined) {
    out.fields = list('fields', params.fields);
    if (out.fields.length === 0) throw new UsageError('kv reissue: params.fields must not be empty');
  }
  const gens = params.generators ?? {};
  if (typeof gens !== 'object' || gens === null || Array.isArray(gens))
    throw new UsageError('kv reissue: params.generators must map field names to generators');
  for (const [field, spec] of Object.entries(gens)) {
    const parsed = generatorSpecSchema.safeParse(spec);
    if (!parsed.success || parsed.data.type === 'provider')
      throw new UsageError(
        `kv reissue: params.generators.${field} is not a password, hex or base64 generator`,
      );
    out.generators[field] = parsed.data;
  }
  return out;
}

/** Why a generated random string cannot replace this value, or undefined when it can. No value in the text. */
export function ungenerable(value: unknown): string | undefined {
  if (typeof value !== 'string') return `holds ${value === null ? 'null' : typeof value} data, not a string`;
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(value))
    return 'holds a private key (no key generator exists)';
  if (/-----BEGIN /.test(value)) return 'holds a PEM document';
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]+@/i.test(value)) return 'holds a URL with embedded credentials';
  if (/[\r\n]/.test(value)) return 'holds multi-line text';
  if (/^\s*[[{]/.test(value)) return 'holds JSON';
  return undefined;
}

/**
 * The field plan for `data` under these rules. Throws PolicyError naming every field the
 * generator cannot stand in for, with the three ways out.
 */
export function planKvFields(
  locator: string,
  data: Record<string, unknown>,
  rules: { configNonSecret: readonly string[]; params: KvFieldParams; generator: GeneratorSpec },
): FieldPlan {
  const { params } = rules;
  const names = Object.keys(data).sort();
  const secret = params.fields
    ? names.filter((n) => params.fields?.includes(n))
    : names.filter((n) => !rules.configNonSecret.includes(n) && !params.nonSecretFields.includes(n));
  if (names.length === 0 || (params.fields && secret.length === 0)) {
    // An empty secret (or one without the named fields) gets one generated field, as before.
    const only = params.fields?.[0] ?? 'value';
    return {
      regenerate: [{ name: only, generator: params.generators[only] ?? rules.generator }],
      keep: names,
    };
  }
  const problems: string[] = [];
  // Naming a field non-secret puts its value in metadata between revoke and reissue: refuse the obvious mistakes.
  for (const name of names.filter((n) => !secret.includes(n))) {
    const why = ungenerable(data[name]);
    if (why?.includes('private key') || why?.includes('embedded credentials'))
      problems.push(`${name} is named non-secret but ${why}`);
  }
  const regenerate = secret.map((name) => {
    const own = params.generators[name];
    if (!own) {
      const why = rules.generator.type === 'provider' ? 'has no generator' : ungenerable(data[name]);
      if (why) problems.push(`${name} cannot be regenerated: it ${why}`);
    }
    return { name, generator: own ?? rules.generator };
  });
  if (problems.length > 0) {
    throw new PolicyError(
      'kv-field-not-generable',
      `vault kv ${locator}: ${problems.join('; ')}. Every field is secret and regenerated ` +
        'unless named non-secret. For each: name it non-secret (reissue params.nonSecretFields or the ' +
        "instance's kv.nonSecretFields), give it a generator (reissue params.generators.<field>), or " +
        'recover it with a runbook whose hook step reissues it',
    );
  }
  return { regenerate, keep: names.filter((n) => !secret.includes(n)) };
}

/** The plan's field decisions as they reach the provider (only name + generator), validated. */
export function plannedFields(fields: FieldPlan | undefined): FieldPlan | undefined {
  if (!fields) return undefined;
  return {
    regenerate: fields.regenerate.map((f) => ({
      name: f.name,
      generator: generatorSpecSchema.parse(f.generator),
    })),
    keep: [...fields.keep],
  };
}
