/**
 * Validators for the SARIF and OCSF reports against the official schemas vendored in
 * test/fixtures/schemas/ (where each comes from: README.md there). Ajv runs strict, less two
 * checks the official schemas trip over without being wrong: `anyOf: [{required: [x]}]` with
 * x declared by the parent (strictRequired), and OCSF's json_t as a union of types.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const dir = join(import.meta.dirname, '..', 'fixtures', 'schemas');
const load = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;

export function sarifValidator(): ValidateFunction {
  const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(load('sarif-schema-2.1.0.json'));
}

export function ocsfDetectionFindingValidator(): ValidateFunction {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(load('ocsf-1.5.0-detection_finding.schema.json'));
}

/** Errors as readable lines, for a failing expect. */
export function errorsOf(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}
