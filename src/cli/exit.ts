import { CommanderError } from 'commander';
import { ConfigError, isNhiError, PolicyError } from '../lib/errors.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, refused: 3, findings: 4 } as const;

/** The one mapping from errors to exit codes (DESIGN.md "CLI surface"). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT.usage;
  if (error instanceof PolicyError) return EXIT.refused;
  if (isNhiError(error)) {
    switch (error.code) {
      case 'config':
      case 'usage':
        return EXIT.usage;
      case 'policy':
        return EXIT.refused;
      default:
        return EXIT.failure;
    }
  }
  return EXIT.failure;
}

/** Human message for stderr. Expected errors get no stack; -v adds causes and the stack. */
export function describeError(error: unknown, verbose: boolean): string {
  const lines: string[] = [];
  if (error instanceof ConfigError) {
    lines.push(`error: ${error.message}`);
    for (const p of error.problems) {
      lines.push(`  ${p.path}: ${p.message}`);
      if (p.expected) lines.push(`      expected: ${p.expected}`);
      if (p.found) lines.push(`      found:    ${p.found}`);
    }
  } else if (error instanceof PolicyError) {
    lines.push(`refused (${error.rule}): ${error.message}`);
  } else if (isNhiError(error)) {
    lines.push(`error: ${error.message}`);
  } else {
    lines.push(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    if (!verbose) lines.push('  (run with -v for details)');
  }
  if (verbose) {
    let cause = error instanceof Error ? error.cause : undefined;
    while (cause) {
      lines.push(`  caused by: ${cause instanceof Error ? cause.message : String(cause)}`);
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    if (error instanceof Error && error.stack && !isNhiError(error)) lines.push(error.stack);
  }
  return lines.join('\n');
}

/**
 * The error as one JSON object for stderr under `--json` (a script parses it instead of
 * matching text): `code` is the error class (usage, config, policy, not-found, provider, ...),
 * `exit` the process exit code, `rule` for a policy refusal, `problems` for a config error.
 * Causes and stacks stay out, as in the text form without -v.
 */
export function errorJson(error: unknown): Record<string, unknown> {
  const exit = exitCodeFor(error);
  if (error instanceof CommanderError)
    return {
      schemaVersion: 1,
      error: { code: 'usage', exit, message: error.message.replace(/^error: /, '') },
    };
  if (!isNhiError(error))
    return {
      schemaVersion: 1,
      error: { code: 'internal', exit, message: error instanceof Error ? error.message : String(error) },
    };
  return {
    schemaVersion: 1,
    error: {
      code: error.code,
      exit,
      message: error.message,
      ...(error instanceof PolicyError ? { rule: error.rule } : {}),
      ...(error instanceof ConfigError && error.problems.length ? { problems: error.problems } : {}),
      ...(Object.keys(error.context).length ? { details: error.context } : {}),
    },
  };
}
