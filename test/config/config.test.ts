import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Config, loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/lib/errors.js';
import { exampleCopy } from '../example-config.js';

/** A verbatim copy of config.example.json and examples/, private keys at 0600 (git keeps no modes). */
const { dir: ROOT, config: EXAMPLE_PATH } = exampleCopy();
const CANARY = 'hunter2-canary-7f3a9c';

type Json = Record<string, unknown>;
const example = (): Json => JSON.parse(readFileSync(EXAMPLE_PATH, 'utf8')) as Json;

/** Parse as if the file sat next to config.example.json, so its file: references resolve. */
function parse(raw: unknown, env: NodeJS.ProcessEnv = {}): Config {
  return parseConfig(raw, { sourcePath: EXAMPLE_PATH, env });
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

/** Everything a user (or a log) could ever see of an error. */
function everythingShown(error: ConfigError): string {
  return [
    error.message,
    JSON.stringify(error.problems),
    inspect(error, { depth: 10 }),
    String(error.stack),
  ].join('\n');
}

function set(obj: Json, path: readonly string[], value: unknown): Json {
  let node = obj;
  for (const key of path.slice(0, -1)) node = node[key] as Json;
  node[path.at(-1) as string] = value;
  return obj;
}

/** Paths of every secret field in config.example.json (plain string fields that must be env:/file: refs). */
const SECRET_FIELDS: readonly (readonly string[])[] = [
  ['keys', 'fingerprint'],
  ['keys', 'auditSigning'],
  ['notify', 'security', 'secret'],
  ['providers', 'vault-prod', 'auth', 'secretId'],
];

describe('config', () => {
  it('accepts config.example.json as shipped, so the example cannot go stale', () => {
    const config = loadConfig(EXAMPLE_PATH, {});
    expect(Object.keys(config.providers)).toEqual(['vault-prod', 'aws-prod', 'azure-prod']);
    expect(config.keys.fingerprint.resolved).toBe(true);
    expect(config.keys.auditSigning.resolved).toBe(true);
    expect(config.notify.security?.secret.resolved).toBe(true);
    expect(config.baseDir).toBe(ROOT);
  });

  it('fills documented defaults for omitted sections', () => {
    const raw = example();
    for (const key of ['state', 'log', 'policy', 'scan', 'tiers', 'schedules', 'hooks', 'runbooks'])
      delete raw[key];
    const config = parse(raw);
    expect(config.state).toEqual({ driver: 'sqlite', path: './nhi-state.db', poolSize: 10 });
    expect(config.log.level).toBeUndefined(); // warn for commands, info for nhi serve (src/app.ts)
    expect(config.policy.requestTtlHours).toBe(24);
    expect(config.policy.privileged).toMatchObject({
      quorum: 2,
      approvalTtlHours: 4,
      holdMinutes: 60,
      executorNotApprover: true,
    });
    expect(config.scan.standard).toEqual({ dormantDays: 90, maxAgeDays: 365 });
    expect(config.scan.privileged).toEqual({ dormantDays: 30, maxAgeDays: 90 });
  });

  it('names the JSON path, what was expected and what was found for a wrong type', () => {
    const raw = set(example(), ['policy', 'requestTtlHours'], 'twenty-four');
    const error = configError(() => parse(raw));
    expect(error.problems).toEqual([
      expect.objectContaining({
        path: 'policy.requestTtlHours',
        expected: 'number',
        found: 'a string of 11 character(s)',
      }),
    ]);
  });

  it('reports every schema problem at once, not just the first', () => {
    const raw = example();
    set(raw, ['policy', 'requestTtlHours'], 'x');
    set(raw, ['scan', 'standard', 'dormantDays'], 0);
    set(raw, ['providers', 'aws-prod', 'region'], 'mars');
    set(raw, ['log', 'level'], 'loud');
    set(raw, ['owners', 'teams', 'payments'], 'alice');
    (raw.state as Json).colour = 'blue';
    const error = configError(() => parse(raw));
    const paths = error.problems.map((p) => p.path).sort();
    expect(paths).toEqual(
      [
        'log.level',
        'owners.teams.payments',
        'policy.requestTtlHours',
        'providers.aws-prod.region',
        'scan.standard.dormantDays',
        'state',
      ].sort(),
    );
    expect(error.message).toContain('6 problem(s)');
    const level = error.problems.find((p) => p.path === 'log.level');
    expect(level?.expected).toContain('"debug"');
    expect(level?.found).toBe('"loud"');
    expect(error.problems.find((p) => p.path === 'state')?.message).toContain('colour');
  });

  it('state: a url (a secret reference) selects PostgreSQL; mixing the two backends is refused by path', () => {
    const pg = parse(
      { ...example(), state: { url: 'env:NHI_DATABASE_URL', poolSize: 4 } },
      {
        NHI_DATABASE_URL: `postgres://nhi:${CANARY}@127.0.0.1:55432/nhi`,
      },
    );
    expect(pg.state.driver).toBe('postgres');
    expect(pg.state.poolSize).toBe(4);
    expect(pg.state.url?.reveal()).toContain(CANARY);
    expect(JSON.stringify(pg.state)).not.toContain(CANARY);
    const problems = (state: unknown) =>
      configError(() => parse({ ...example(), state }, {})).problems.map((p) => [p.path, p.message]);
    expect(problems({ driver: 'postgres' })).toEqual([
      ['state.url', 'driver "postgres" needs url: "env:NHI_DATABASE_URL" (or file:PATH)'],
    ]);
    expect(problems({ url: 'env:NHI_DATABASE_URL', path: './x.db' })).toEqual([
      ['state.path', 'path is the SQLite file; with driver "postgres" use url'],
    ]);
    expect(problems({ driver: 'sqlite', url: 'env:NHI_DATABASE_URL' })).toEqual([
      ['state.url', 'url is for driver "postgres"; the SQLite store takes path'],
    ]);
    expect(problems({ path: './x.db', ssl: true })).toEqual([['state.ssl', 'ssl is for driver "postgres"']]);
    // The URL carries the password: a literal is refused, and not echoed.
    const literal = configError(() =>
      parse({ ...example(), state: { url: `postgres://nhi:${CANARY}@127.0.0.1/nhi` } }, {}),
    );
    expect(literal.problems.map((p) => p.path)).toEqual(['state.url']);
    expect(everythingShown(literal)).not.toContain(CANARY);
  });

  it('reports every cross-field and secret-reference problem at once', () => {
    const raw = example();
    set(raw, ['policy', 'securityAlert'], ['security', 'pager']);
    set(raw, ['owners', 'teams', 'payments'], ['alice', 'mallory']);
    set(raw, ['owners', 'breakGlass'], ['nobody']);
    set(raw, ['schedules', 'nightly', 'providers'], ['vault-prod', 'gcp-prod']);
    set(raw, ['keys', 'fingerprint'], 'env:NHI_TEST_UNSET_FINGERPRINT');
    const error = configError(() => parse(raw, {}));
    const byPath = Object.fromEntries(error.problems.map((p) => [p.path, p]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'keys.fingerprint',
        'owners.breakGlass[0]',
        'owners.teams.payments[1]',
        'policy.securityAlert[1]',
        'schedules.nightly.providers[1]',
      ].sort(),
    );
    expect(byPath['policy.securityAlert[1]']?.message).toBe('unknown notify target "pager"');
    expect(byPath['policy.securityAlert[1]']?.expected).toBe('one of: security');
    expect(byPath['owners.teams.payments[1]']?.message).toBe(
      'team member "mallory" is not a registered principal',
    );
    expect(byPath['schedules.nightly.providers[1]']?.message).toContain(
      'unknown provider instance "gcp-prod"',
    );
    expect(byPath['keys.fingerprint']?.message).toBe(
      'environment variable NHI_TEST_UNSET_FINGERPRINT is not set',
    );
  });

  it('rejects an unknown notify target in a tier alert and a schedule alert', () => {
    const raw = example();
    set(raw, ['policy', 'privileged', 'alert'], ['secops']);
    set(raw, ['schedules', 'nightly', 'alerts', 'notify'], ['slack']);
    const error = configError(() => parse(raw));
    expect(error.problems.map((p) => [p.path, p.message])).toEqual([
      ['policy.privileged.alert[0]', 'unknown notify target "secops"'],
      ['schedules.nightly.alerts.notify[0]', 'unknown notify target "slack"'],
    ]);
  });

  it('gives a malformed listen address one precise error, and a too-high port its own', () => {
    const malformed = example();
    malformed.ops = { listen: 'nope' };
    expect(configError(() => parse(malformed)).problems.map((p) => [p.path, p.message])).toEqual([
      ['ops.listen', 'expected host:port, e.g. "127.0.0.1:9464"'],
    ]);
    const highPort = example();
    highPort.ops = { listen: '127.0.0.1:70000' };
    expect(configError(() => parse(highPort)).problems.map((p) => [p.path, p.message])).toEqual([
      ['ops.listen', 'expected a port up to 65535'],
    ]);
    const fine = example();
    fine.ops = {};
    expect(parse(fine).ops).toEqual({ listen: '127.0.0.1:9464' });
  });

  it.each(SECRET_FIELDS.map((p) => [p.join('.'), p] as const))(
    'refuses a literal secret in %s with the env:/file: hint and never echoes it',
    (_name, path) => {
      const raw = set(example(), path, CANARY);
      const error = configError(() => parse(raw));
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatchObject({
        path: path.join('.'),
        expected: '"env:NAME" or "file:PATH"',
      });
      expect(error.problems[0]?.message).toMatch(/env:NAME.*file:PATH/);
      expect(everythingShown(error)).not.toContain(CANARY);
      expect(everythingShown(error)).not.toContain('hunter2');
    },
  );

  it('does not echo a number or boolean written into a secret field (it may be a PIN)', () => {
    const raw = set(example(), ['keys', 'fingerprint'], 73519046);
    const error = configError(() => parse(raw));
    expect(error.problems[0]).toMatchObject({ path: 'keys.fingerprint', found: 'a number (hidden)' });
    expect(everythingShown(error)).not.toContain('73519046');
  });

  it('reports an unset env: reference and a missing file: reference with their paths', () => {
    const raw = example();
    set(raw, ['keys', 'fingerprint'], 'env:NHI_TEST_FP_KEY');
    set(raw, ['notify', 'security', 'secret'], 'file:./does/not/exist.key');
    const error = configError(() => parse(raw, { NHI_TEST_FP_KEY: '' }));
    expect(error.problems).toEqual([
      expect.objectContaining({
        path: 'keys.fingerprint',
        message: 'environment variable NHI_TEST_FP_KEY is not set',
        found: 'env:NHI_TEST_FP_KEY',
      }),
      expect.objectContaining({
        path: 'notify.security.secret',
        message: `cannot read secret file ${join(ROOT, 'does/not/exist.key')} (ENOENT)`,
      }),
    ]);
  });

  it('resolves env: and file: references (file paths relative to the config file) without a trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nhi-config-'));
    writeFileSync(join(dir, 'hook.key'), 'from-a-file\n', { mode: 0o600 });
    const raw = example();
    set(raw, ['keys', 'fingerprint'], 'env:NHI_TEST_FP');
    set(raw, ['notify', 'security', 'secret'], `file:${join(dir, 'hook.key')}`);
    const config = parse(raw, { NHI_TEST_FP: 'from-the-env' });
    expect(config.keys.fingerprint.reveal()).toBe('from-the-env');
    expect(config.notify.security?.secret.reveal()).toBe('from-a-file');
    expect(JSON.stringify(config)).not.toContain('from-the-env');
    expect(inspect(config, { depth: 10 })).not.toContain('from-a-file');
  });

  it('reports an unreadable or non-JSON file without quoting its content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nhi-config-'));
    expect(configError(() => loadConfig(join(dir, 'nope.json'), {})).message).toMatch(
      /cannot read config file .*ENOENT.*--config/,
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, `{"keys": {"fingerprint": ${CANARY}}}`);
    const error = configError(() => loadConfig(broken, {}));
    expect(error.message).toContain('is not valid JSON');
    expect(everythingShown(error)).not.toContain('canary');
    writeFileSync(broken, '{\n  "state": {},\n}');
    expect(configError(() => loadConfig(broken, {})).message).toMatch(/at line 3, column 1$/);
  });

  it('rejects a principal public key that is not an Ed25519 key', () => {
    const raw = example();
    set(raw, ['owners', 'principals', 'alice', 'publicKey'], 'file:./examples/keys/alice.key.missing');
    const error = configError(() => parse(raw));
    expect(error.problems).toEqual([expect.objectContaining({ path: 'owners.principals.alice.publicKey' })]);
  });
});

describe('config loading (property)', () => {
  const outcome = (raw: unknown, env: NodeJS.ProcessEnv = {}): 'config' | ConfigError => {
    try {
      parse(raw, env);
      return 'config';
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
  };

  it('turns any JSON value into a Config or a ConfigError, never a crash', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => {
        const result = outcome(raw);
        if (result !== 'config') expect(result.problems.length + result.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  const exampleJson = example();
  const leafPaths: string[][] = [];
  const walk = (node: unknown, path: string[]) => {
    if (path.length > 0) leafPaths.push(path);
    if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    }
  };
  walk(exampleJson, []);

  const mutation = fc.oneof(
    fc.record({
      op: fc.constant('set' as const),
      path: fc.constantFrom(...leafPaths),
      value: fc.jsonValue({ maxDepth: 2 }),
    }),
    fc.record({ op: fc.constant('delete' as const), path: fc.constantFrom(...leafPaths) }),
    fc.record({
      op: fc.constant('add' as const),
      path: fc.constantFrom(...leafPaths),
      key: fc.string({ maxLength: 8 }),
      value: fc.jsonValue({ maxDepth: 1 }),
    }),
  );

  it('never echoes a canary from a secret field, whatever else is wrong with the config', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SECRET_FIELDS),
        fc.constantFrom(CANARY, `  ${CANARY}\n`, `${CANARY}==`, `Bearer ${CANARY}`),
        fc.array(mutation, { maxLength: 5 }),
        (secretPath, canary, mutations) => {
          const raw = structuredClone(exampleJson);
          set(raw, secretPath, canary);
          for (const m of mutations) {
            const parentPath = m.path.slice(0, -1);
            let parent: unknown = raw;
            for (const key of parentPath) parent = (parent as Json | undefined)?.[key];
            if (parent === null || typeof parent !== 'object') continue;
            const leaf = m.path.at(-1) as string;
            if (secretPath.join('.') === m.path.join('.')) continue; // keep the canary in place
            if (m.op === 'set') (parent as Json)[leaf] = m.value;
            else if (m.op === 'delete') delete (parent as Json)[leaf];
            else {
              const target = (parent as Json)[leaf];
              if (target !== null && typeof target === 'object' && !Array.isArray(target))
                (target as Json)[m.key] = m.value;
            }
          }
          const result = outcome(raw);
          // The canary is still a literal in a secret field (unless a mutation removed its parent).
          if (result === 'config') return;
          expect(everythingShown(result)).not.toContain('canary');
        },
      ),
      { numRuns: 300 },
    );
  });
});
