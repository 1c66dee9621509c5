/**
 * Issue 16 (CLI habits): a misspelt config key or value gets a "did you mean" — the nearest
 * field the schema allows at that JSON path, or the nearest allowed value — and the list of
 * what is allowed there. Suggestions come from the schema only, never from what was written.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError, type ConfigProblem } from '../../src/lib/errors.js';
import { closest, editDistance } from '../../src/lib/suggest.js';
import { exampleCopy } from '../example-config.js';

const { config: EXAMPLE_PATH } = exampleCopy();
type Json = Record<string, unknown>;
const example = (): Json => JSON.parse(readFileSync(EXAMPLE_PATH, 'utf8')) as Json;
/** The object at `path` inside `raw`, to edit in place. */
const node = (raw: Json, ...path: string[]): Json => path.reduce((o, k) => o[k] as Json, raw);
/** Rename a field, keeping its value: the misspelling a user makes. */
const rename = (o: Json, from: string, to: string) => {
  o[to] = o[from];
  delete o[from];
};

function problems(raw: unknown): ConfigProblem[] {
  try {
    parseConfig(raw, { sourcePath: EXAMPLE_PATH, env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const at = (list: ConfigProblem[], path: string) => list.find((p) => p.path === path);

describe('config "did you mean"', () => {
  it('an unknown key gets the nearest field allowed at its path, at every depth', () => {
    const raw = example();
    rename(raw, 'schedules', 'shedules');
    rename(node(raw, 'providers', 'aws-prod'), 'region', 'regoin');
    node(raw, 'providers', 'vault-prod').namespce = 'team-a';
    rename(node(raw, 'scan', 'standard'), 'dormantDays', 'dormantdays');
    const list = problems(raw);
    expect(at(list, '(root)')).toMatchObject({
      message: 'unknown field(s): shedules (did you mean "schedules"?)',
      expected: expect.stringContaining('providers, runbooks, scan, schedules, state'),
    });
    // The provider block's own fields: the variant is picked by its `type`.
    expect(at(list, 'providers.aws-prod')?.message).toBe('unknown field(s): regoin (did you mean "region"?)');
    expect(at(list, 'providers.aws-prod')?.expected).toContain('credentials, endpoint, iam, kinds');
    expect(at(list, 'providers.vault-prod')?.message).toBe(
      'unknown field(s): namespce (did you mean "namespace"?)',
    );
    expect(at(list, 'scan.standard')?.message).toBe(
      'unknown field(s): dormantdays (did you mean "dormantDays"?)',
    );
  });

  it('no suggestion for a name nothing resembles, or for a field that is already there', () => {
    const raw = example();
    raw.frobnicate = true;
    node(raw, 'log').levels = 'info'; // `level` is set already: not what "levels" meant
    const list = problems(raw);
    expect(at(list, '(root)')?.message).toBe('unknown field(s): frobnicate');
    expect(at(list, 'log')?.message).toBe('unknown field(s): levels');
    expect(at(list, 'log')?.expected).toContain('file, level');
  });

  it('a misspelt enum value or variant tag gets the nearest allowed one', () => {
    const raw = example();
    node(raw, 'log').level = 'wran';
    node(raw, 'providers', 'azure-prod').type = 'azrue';
    node(raw, 'providers', 'aws-prod', 'credentials').method = 'defualt';
    node(raw, 'schedules', 'nightly', 'report').format = 'htlm';
    const list = problems(raw);
    expect(at(list, 'log.level')?.message).toContain('(did you mean "warn"?)');
    expect(at(list, 'providers.azure-prod.type')).toMatchObject({
      message: expect.stringContaining('(did you mean "azure"?)'),
      expected: 'one of "vault", "aws", "azure"',
      found: '"azrue"',
    });
    expect(at(list, 'providers.aws-prod.credentials.method')?.message).toContain('(did you mean "default"?)');
    expect(at(list, 'schedules.nightly.report.format')?.message).toContain('(did you mean "html"?)');
  });
});

describe('closest', () => {
  it('picks the nearest known word within a third of its length, case-insensitively', () => {
    expect(closest('dormnt', ['dormant', 'reenabled', 'orphaned'])).toBe('dormant');
    expect(closest('Providers', ['providers', 'policy'])).toBe('providers');
    expect(closest('tpye', ['type', 'tier'])).toBe('type'); // an adjacent swap is one edit
    expect(closest('xyz', ['dormant', 'orphaned'])).toBeUndefined();
  });

  it('only ever returns one of the known words, and distance is symmetric (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 12 }),
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 8 }),
        (w, known) => {
          const match = closest(w, known);
          if (match !== undefined) expect(known).toContain(match);
          for (const k of known) expect(editDistance(w, k)).toBe(editDistance(k, w));
        },
      ),
    );
  });
});
