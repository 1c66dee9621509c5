/**
 * The small, coded error set. Every expected failure is one of these; the CLI maps
 * `code` to an exit code in one place (src/cli/exit.ts). Messages must never carry
 * secret values: callers pass identifiers, never credentials.
 */
export type ErrorCode =
  | 'config'
  | 'usage'
  | 'provider'
  | 'policy'
  | 'conflict'
  | 'not-found'
  | 'audit'
  | 'store'
  | 'not-implemented'
  | 'internal';

export interface ErrorDetails {
  cause?: unknown;
  /** Extra structured context, safe to log (no secrets). */
  context?: Record<string, unknown>;
}

export class NhiError extends Error {
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'NhiError';
    this.code = code;
    this.context = details.context ?? {};
  }
}

/** One problem found in a config file, with the JSON path, what was expected and what was found. */
export interface ConfigProblem {
  path: string;
  message: string;
  expected?: string;
  found?: string;
}

export class ConfigError extends NhiError {
  readonly problems: ConfigProblem[];
  constructor(message: string, problems: ConfigProblem[] = [], details: ErrorDetails = {}) {
    super('config', message, details);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export class UsageError extends NhiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('usage', message, details);
    this.name = 'UsageError';
  }
}

export class ProviderError extends NhiError {
  readonly retryable: boolean;
  readonly status: number | undefined;
  /** Seconds the provider asked us to wait (Retry-After), when it said. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    message: string,
    opts: ErrorDetails & { retryable?: boolean; status?: number; retryAfterSeconds?: number } = {},
  ) {
    super('provider', message, opts);
    this.name = 'ProviderError';
    this.retryable = opts.retryable ?? false;
    this.status = opts.status;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

/** Refused by policy: not approved, expired, self-approval, digest mismatch, ... `rule` names the rule. */
export class PolicyError extends NhiError {
  readonly rule: string;
  constructor(rule: string, message: string, details: ErrorDetails = {}) {
    super('policy', message, details);
    this.name = 'PolicyError';
    this.rule = rule;
  }
}

export class ConflictError extends NhiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('conflict', message, details);
    this.name = 'ConflictError';
  }
}

export class NotFoundError extends NhiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('not-found', message, details);
    this.name = 'NotFoundError';
  }
}

export class AuditError extends NhiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('audit', message, details);
    this.name = 'AuditError';
  }
}

export class NotImplementedError extends NhiError {
  constructor(what: string) {
    super('not-implemented', `${what} is not built yet in this version of nhi-reissue`);
    this.name = 'NotImplementedError';
  }
}

export function isNhiError(err: unknown): err is NhiError {
  return err instanceof NhiError;
}
