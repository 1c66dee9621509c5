/**
 * The JSON Schemas of docs/json/ (README.md there), compiled once with ajv (draft 2020-12,
 * strict), and a check that records which schema each real output was validated against, so
 * test/cli/json-schemas.test.ts can tell that none is left unused.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { REPO_ROOT } from '../example-config.js';

export const SCHEMA_DIR = join(REPO_ROOT, 'docs', 'json');
const SUFFIX = '.schema.json';

/** Every schema file, by name without `.schema.json`. */
export function schemaFiles(): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const f of readdirSync(SCHEMA_DIR)
    .filter((n) => n.endsWith(SUFFIX))
    .sort())
    out.set(f.slice(0, -SUFFIX.length), JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')));
  return out;
}

/** The files a schema points at with `$ref` (`common.schema.json#/$defs/run` -> common). */
export function referencedFiles(schema: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const s of schema) referencedFiles(s, into);
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$ref' && typeof v === 'string' && v.includes(SUFFIX))
        into.add(v.slice(0, v.indexOf(SUFFIX)).replace(/^\.\//, ''));
      else referencedFiles(v, into);
    }
  }
  return into;
}

export function schemaChecker() {
  const schemas = schemaFiles();
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats.default(ajv);
  // Keyed by file name, so `"$ref": "common.schema.json#/$defs/x"` resolves as it does on disk.
  for (const [name, schema] of schemas) ajv.addSchema(schema, `${name}${SUFFIX}`);
  const used = new Set<string>();
  // NHI_JSON_DUMP=dir writes every checked output there (to read when a schema needs changing).
  const dump = process.env.NHI_JSON_DUMP;
  if (dump) mkdirSync(dump, { recursive: true });
  let n = 0;

  /** The properties a schema declares, its own and those of the definition it `$ref`s. */
  function declared(schema: Record<string, unknown>, file: string): string[] {
    const own = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
    if (typeof schema.$ref !== 'string') return own;
    const [target = '', pointer = ''] = schema.$ref.split('#');
    const home = target ? target.slice(0, -SUFFIX.length) : file;
    let def: unknown = schemas.get(home);
    for (const part of pointer.split('/').filter(Boolean)) def = (def as Record<string, unknown>)[part];
    return [...own, ...declared(def as Record<string, unknown>, home)];
  }

  /** Validate `doc` against docs/json/<kind>.schema.json[pointer]; every top-level key must be documented. */
  function check(kind: string, doc: unknown, pointer = ''): void {
    const schema = schemas.get(kind);
    if (!schema) throw new Error(`no docs/json/${kind}${SUFFIX}`);
    used.add(kind);
    if (dump)
      writeFileSync(join(dump, `${String(n++).padStart(2, '0')}-${kind}.json`), JSON.stringify(doc, null, 2));
    const validate = ajv.getSchema(`${kind}${SUFFIX}${pointer ? `#${pointer}` : ''}`);
    if (!validate) throw new Error(`cannot compile ${kind}${SUFFIX}${pointer}`);
    const ok = validate(doc);
    const errors = (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );
    expect(errors, `${kind}: ${JSON.stringify(doc).slice(0, 400)}`).toEqual([]);
    expect(ok).toBe(true);
    // Open to additions for consumers (a new field is no bump), but the docs must keep up.
    if (!pointer) {
      const known = declared(schema, kind);
      expect(
        Object.keys(doc as object).filter((k) => !known.includes(k)),
        `${kind}: undocumented`,
      ).toEqual([]);
      expect(Object.keys(doc as object)[0], `${kind}: schemaVersion first`).toBe('schemaVersion');
    }
  }

  /** One JSON document on stdout (the command must have succeeded). */
  function stdout(
    kind: string,
    r: { code: number; stdout: string; stderr: string },
  ): Record<string, unknown> {
    expect(r.code, `${kind}: ${r.stderr}`).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    check(kind, doc);
    return doc;
  }

  return { check, stdout, used, schemas };
}
