/**
 * AWS SDK errors mapped to the project's error set (NotFoundError, ProviderError with the
 * retry facts). Only the error name, HTTP status and request id survive: AWS messages, and a
 * hostile endpoint's bodies, never reach messages or logs.
 */
import { NhiError, NotFoundError, ProviderError } from '../../src/lib/errors.js';
import { networkCause } from '../../src/lib/network-cause.js';
import { isRetryable, parseRetryAfter } from '../../src/lib/retry.js';

const NOT_FOUND = new Set(['ResourceNotFoundException', 'NoSuchEntityException', 'NoSuchEntity']);

/** Errors that mean "these credentials do not work here", not "this call is not allowed". */
const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'IncompleteSignature',
]);

interface AwsErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string | undefined> };
}

/** The AWS error name an NhiError was mapped from, for the few names that are expected outcomes. */
export function awsErrorName(err: unknown): string | undefined {
  if (err instanceof NhiError && typeof err.context.awsError === 'string') return err.context.awsError;
  return undefined;
}

/**
 * Map an SDK error to the project's error set. Only the error name, HTTP status and request
 * id are kept: AWS messages (and a hostile endpoint's bodies) stay out of messages and logs.
 */
export function mapAwsError(err: unknown, operation: string, target: string, where?: string): NhiError {
  if (err instanceof NhiError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsErrorShape;
  // A network failure reaches us as a plain Error with a Node code (ECONNREFUSED, ...): name that.
  const generic = typeof e.name !== 'string' || e.name === 'Error';
  const name = (
    generic && typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'UnknownError'
  ).slice(0, 80);
  const status = e.$metadata?.httpStatusCode;
  const context = { awsError: name, status, requestId: e.$metadata?.requestId, operation };
  const call = `aws ${operation} ${JSON.stringify(target)}`;
  if (NOT_FOUND.has(name) || e.Code === 'NoSuchEntity') {
    return new NotFoundError(`${call}: not found`, { context });
  }
  const retryable = isRetryable(err);
  const retryAfterSeconds = parseRetryAfter(e.$response?.headers?.['retry-after']);
  // A connection or credential failure is about the instance, not the call: name it and where
  // it points, and keep Node's own facts of a network error (never the SDK error, which holds
  // the request) as the cause.
  const cause = networkCause(err);
  const at = where && (cause || CREDENTIAL_ERRORS.has(name)) ? ` (${where})` : '';
  return new ProviderError(`${call} failed: ${name}${status ? ` (HTTP ${status})` : ''}${at}`, {
    retryable,
    ...(cause ? { cause } : {}),
    ...(status ? { status } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    context,
  });
}
