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
