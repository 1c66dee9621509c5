import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { publicKeyFrom } from '../audit/keys.js';
import { ConfigError, type ConfigProblem } from '../lib/errors.js';
import { SECRET_REF_HINT, SECRET_REF_TYPE_MESSAGE } from '../lib/secret-ref.js';
import { applyEnvDefaults, type EnvDefault, withEnvHint } from './env-defaults.js';
import { checkConfigRules } from './rules.js';
import { type ParsedConfig, writtenConfigSchema } from './schema.js';
import { octalMode, resolveSecretRefs } from './secrets.js';
import { unknownFieldsProblem, withValueSuggestion } from './suggestions.js';

export const DEFAULT_CONFIG_PATH = './nhi.config.json';

export interface Config extends ParsedConfig {
  /** Absolute path of the file this came from; relative paths in it resolve against its directory. */
  sourcePath: string;
  baseDir: string;
  /**
   * Not errors, but worth a look (a public key file others can write). The CLI prints them on
   * stderr (`warning: ...`); they never go to stdout.
   */
  warnings: ConfigProblem[];
  /** Provider fields the config left out and the environment supplied (VAULT_ADDR, AWS_REGION, ...). */
  fromEnv: EnvDefault[];
}

/** --config beats NHI_CONFIG beats ./nhi.config.json. */
export function configPathFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? env.NHI_CONFIG ?? DEFAULT_CONFIG_PATH);
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT' ? ' (run nhi init to write one, pass --config FILE or set NHI_CONFIG)' : '';
    throw new ConfigError(`cannot read config file ${path}: ${code ?? String(error)}${hint}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${jsonSyntaxProblem(text, error)}`);
  }
  return parseConfig(raw, { sourcePath: path, env });
}

export function parseConfig(written: unknown, opts: { sourcePath: string; env: NodeJS.ProcessEnv }): Config {
  const protoKeys = protoKeyProblems(written);
  const { raw, applied: fromEnv } = applyEnvDefaults(written, opts.env);
  const result = writtenConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = [
      ...protoKeys,
      ...result.error.issues.flatMap((issue) => {
        // A strict object already reports "__proto__" as an unknown field; say it once, in our words.
        if (issue.code !== 'unrecognized_keys') return [withEnvHint(toProblem(issue, raw))];
        const keys = issue.keys.filter((k) => k !== '__proto__');
        return keys.length > 0 ? [toProblem({ ...issue, keys }, raw)] : [];
      }),
    ];
    throw new ConfigError(`config ${opts.sourcePath} has ${problems.length} problem(s)`, problems);
  }
  const baseDir = dirname(opts.sourcePath);
  const warnings: ConfigProblem[] = [];
  const problems = [
    ...protoKeys,
    ...checkConfigRules(result.data, { baseDir }),
    ...resolveSecretRefs(result.data, { baseDir, env: opts.env }),
    ...checkPublicKeys(result.data, baseDir, warnings),
  ];
  if (problems.length > 0) {
    throw new ConfigError(`config ${opts.sourcePath} has ${problems.length} problem(s)`, problems);
  }
  // File paths inside provider blocks are relative to the config file, like every other path in it.
  for (const instance of Object.values(result.data.providers)) {
    if ('caFile' in instance && instance.caFile) instance.caFile = resolve(baseDir, instance.caFile);
  }
  const config: Config = { ...result.data, sourcePath: opts.sourcePath, baseDir, warnings, fromEnv };
  return config;
}

/** Resolve a path written in the config relative to the config file's directory. */
export function configRelative(config: Pick<Config, 'baseDir'>, path: string): string {
  return isAbsolute(path) ? path : resolve(config.baseDir, path);
}

/**
 * Every registered principal's key (and the audit public key) must load as Ed25519. A `file:`
 * key that group or others can write is a warning: whoever can write it can swap in their own
 * key and approve as that principal.
 */
function checkPublicKeys(config: ParsedConfig, baseDir: string, warnings: ConfigProblem[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const check = (path: string, text: string) => {
    try {
      publicKeyFrom(text, baseDir, path);
    } catch (error) {
      problems.push({
        path,
        message: (error as Error).message,
        expected: 'an Ed25519 public key (PEM) or file:PATH',
      });
      return;
    }
    if (text.startsWith('file:') && process.platform !== 'win32') {
      const file = resolve(baseDir, text.slice(5));
      let mode = 0;
      try {
        mode = statSync(file).mode;
      } catch {
        // Read a moment ago; if it is gone now, the registry's own load will say so.
      }
      if ((mode & 0o022) !== 0) {
        warnings.push({
          path,
          message: `public key file ${file} is writable by group or others (mode ${octalMode(mode)}); whoever can write it can replace the key: chmod 644 ${file}`,
          expected: 'a file only its owner can write (mode 0644 or stricter)',
          found: `mode ${octalMode(mode)}`,
        });
      }
    }
  };
  for (const [name, p] of Object.entries(config.owners.principals))
    check(`owners.principals.${name}.publicKey`, p.publicKey);
  if (config.keys.auditPublicKey) check('keys.auditPublicKey', config.keys.auditPublicKey);
  return problems;
}

/**
 * JSON.parse keeps a `"__proto__"` key as an ordinary entry, but zod drops it from records
 * without a word (a principal, a team or a privileged tag would silently vanish). Refuse it.
 */
function protoKeyProblems(raw: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const visit = (node: unknown, path: PropertyKey[]): void => {
    if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) visit(child, [...path, i]);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key === '__proto__') {
          problems.push({
            path: formatPath([...path, key]),
            message: '"__proto__" is not allowed as a name or field',
            expected: 'another name',
            found: '"__proto__"',
          });
        } else visit(child, [...path, key]);
      }
    }
  };
  visit(raw, []);
  return problems;
}

/**
 * V8's JSON.parse messages quote the text around the error (`..."print":hunter2-ca"...`),
 * which may be a secret written without quotes. Keep only the kind of error and where.
 */
function jsonSyntaxProblem(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = /^(.*?) in JSON at position (\d+)/.exec(message);
  if (at) {
    const before = text.slice(0, Number(at[2]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return `${at[1]} at line ${line}, column ${column}`;
  }
  if (/^Unexpected end of JSON input$/.test(message)) return message;
  return 'unexpected character (the surrounding text is not shown: it may be a secret)';
}

function toProblem(issue: z.core.$ZodIssue, raw: unknown): ConfigProblem {
  const path = formatPath(issue.path);
  const at = valueAt(raw, issue.path);
  if (issue.message === SECRET_REF_HINT) {
    return {
      path,
      message: SECRET_REF_HINT,
      expected: '"env:NAME" or "file:PATH"',
      found: 'a literal value (hidden)',
    };
  }
  if (issue.message === SECRET_REF_TYPE_MESSAGE) {
    // A secret field holding a number or boolean: that value may be the secret (a PIN), so show only its type.
    return {
      path,
      message: SECRET_REF_TYPE_MESSAGE,
      expected: '"env:NAME" or "file:PATH"',
      found: describeType(at),
    };
  }
  switch (issue.code) {
    case 'unrecognized_keys':
      return unknownFieldsProblem(path, issue.path, issue.keys, raw);
    case 'invalid_type':
      return { path, message: issue.message, expected: String(issue.expected), found: describe(at) };
    case 'invalid_value':
      return {
        path,
        message: withValueSuggestion(issue.message, at, issue.values),
        expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        // Enum fields never hold secrets, so a short value is shown to make the typo obvious.
        found: typeof at === 'string' && at.length <= 40 ? JSON.stringify(at) : describe(at),
      };
    case 'invalid_union': {
      // A variant tag (`type`, `method`) that names no variant: say which ones exist, like an enum.
      const options = 'options' in issue && issue.discriminator ? issue.options : undefined;
      if (options)
        return {
          path,
          message: withValueSuggestion(issue.message, at, options),
          expected: `one of ${options.map((v) => JSON.stringify(v)).join(', ')}`,
          found: typeof at === 'string' && at.length <= 40 ? JSON.stringify(at) : describe(at),
        };
      return {
        path,
        message: issue.message,
        expected: 'one of the documented variants',
        found: describe(at),
      };
    }
    default:
      return { path, message: issue.message, found: describe(at) };
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node = raw;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** What was found, briefly. Strings are shown only by length: a mistyped field may hold a secret. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `a string of ${value.length} character(s)`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function describeType(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `a ${typeof value} (hidden)`;
  return describe(value);
}
