/**
 * Building the Key Vault SecretClient: credential, TLS trust, pinned API version, no SDK
 * retries (our withRetry decides), and a same-origin guard in front of the wire. Also the one
 * place Azure errors become our coded errors.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import { ConfigError, NotFoundError, ProviderError } from '../../src/lib/errors.js';
import { networkCause } from '../../src/lib/network-cause.js';
import { parseRetryAfter } from '../../src/lib/retry.js';
import type { SecretValue } from '../../src/lib/secret.js';
import { nextLinkCapturePolicy } from './paging.js';
import type { AzureInstanceConfig } from './schema.js';

/** The part of SecretClient the adapter uses; engine tests pass plain objects of this shape. */
export type SecretClientLike = Pick<
  SecretClient,
  | 'vaultUrl'
  | 'listPropertiesOfSecrets'
  | 'listPropertiesOfSecretVersions'
  | 'listDeletedSecrets'
  | 'getSecret'
  | 'getDeletedSecret'
  | 'setSecret'
  | 'updateSecretProperties'
>;

/** A fixed bearer token (emulators only). The token is revealed only when the SDK asks for it. */
export function staticTokenCredential(token: SecretValue): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return { token: token.reveal(), expiresOnTimestamp: Date.now() + 60 * 60 * 1000 };
    },
  };
}

export function buildCredential(config: AzureInstanceConfig): TokenCredential {
  const c = config.credential;
  switch (c.method) {
    case 'default':
      return new DefaultAzureCredential();
    case 'client-secret':
      return new ClientSecretCredential(c.tenantId, c.clientId, c.clientSecret.reveal());
    case 'static-token':
      return staticTokenCredential(c.token);
  }
}

export class ForeignHostError extends Error {
  constructor(readonly host: string) {
    super(`refused a request to ${JSON.stringify(host)}: not the configured vault`);
    this.name = 'ForeignHostError';
  }
}

/**
 * The SDK follows a page's `nextLink` wherever it points and the Key Vault auth policy puts the
 * bearer token on it (checked in @azure/keyvault-secrets 4.11 / keyvault-common 2.1). This policy
 * runs last before the HTTP client (perRetry, so also for redirects) and refuses any origin
 * other than the vault's, so a hostile or corrupted response cannot collect our token.
 */
export function sameOriginPolicy(vaultUrl: string): PipelinePolicy {
  const origin = new URL(vaultUrl).origin;
  return {
    name: 'nhiSameOriginPolicy',
    sendRequest(request, next) {
      const target = new URL(request.url);
      if (target.origin !== origin) return Promise.reject(new ForeignHostError(target.host));
      return next(request);
    },
  };
}

export function clientOptions(config: AzureInstanceConfig): SecretClientOptions {
  const options: SecretClientOptions = {
    disableChallengeResourceVerification: config.disableChallengeResourceVerification,
    // One retry policy (src/lib/retry.ts) decides, honouring Retry-After; the SDK would retry
    // 3 more times inside each of our attempts.
    retryOptions: { maxRetries: 0 },
    additionalPolicies: [
      { policy: sameOriginPolicy(config.vaultUrl), position: 'perRetry' },
      { policy: nextLinkCapturePolicy(), position: 'perRetry' },
    ],
  };
  if (config.serviceVersion)
    options.serviceVersion = config.serviceVersion as SecretClientOptions['serviceVersion'];
  if (config.caFile) {
    let pem: string;
    try {
      pem = readFileSync(config.caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read caFile for the Azure vault ${config.vaultUrl}`, [
        {
          path: 'caFile',
          message: `cannot read ${JSON.stringify(config.caFile)}: ${(error as Error).message}`,
        },
      ]);
    }
    // An explicit `ca` replaces Node's trust store, so keep the public roots alongside it.
    options.tlsOptions = { ca: [...rootCertificates, pem] };
  }
  return options;
}

export function buildSecretClient(config: AzureInstanceConfig): SecretClientLike {
  return new SecretClient(config.vaultUrl, buildCredential(config), clientOptions(config));
}

interface RestErrorShape {
  name?: string;
  statusCode?: number;
  code?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

/** The @azure/identity error class names that mean "no usable credential". */
function credentialName(e: RestErrorShape | undefined): string | undefined {
  return e?.name === 'AuthenticationError' || e?.name === 'CredentialUnavailableError' ? e.name : undefined;
}

function restError(err: unknown): RestErrorShape | undefined {
  return typeof err === 'object' && err !== null ? (err as RestErrorShape) : undefined;
}

export function statusOf(err: unknown): number | undefined {
  return restError(err)?.statusCode;
}

const NETWORK_CODES = new Set([
  'REQUEST_SEND_ERROR',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
]);

/**
 * Map an SDK error to ours. The message names the operation and the ref and carries only the
 * HTTP status and Key Vault error code: never the SDK's message or body, and never the RestError
 * as `cause` (its request can hold the value we were writing).
 */
export function toNhiError(err: unknown, op: string, what: string, where?: string): Error {
  if (err instanceof ProviderError || err instanceof NotFoundError) return err;
  if (err instanceof ForeignHostError) {
    return new ProviderError(`azure ${op} ${what}: ${err.message}`, { retryable: false });
  }
  const e = restError(err);
  const status = e?.statusCode;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  // A connection or credential failure is about the instance: name it and its vault URL. The
  // cause kept is Node's own facts of a network error (NetworkCause), never the RestError.
  const cause = status === undefined ? networkCause(err) : undefined;
  const credential =
    status === 401 || e?.name === 'AuthenticationError' || e?.name === 'CredentialUnavailableError';
  const label = [
    status === undefined ? undefined : `HTTP ${status}`,
    code ?? cause?.code ?? credentialName(e),
  ]
    .filter(Boolean)
    .join(' ');
  const at = where && (cause || credential || (code && NETWORK_CODES.has(code))) ? ` (${where})` : '';
  const message = `azure ${op} ${what} failed${label ? `: ${label}` : ''}${at}`;
  if (status === 404) return new NotFoundError(message, { context: { status, code } });
  const retryAfterSeconds = parseRetryAfter(e?.response?.headers?.get('retry-after'));
  const netCode = code ?? cause?.code;
  const retryable =
    status === undefined
      ? netCode !== undefined && NETWORK_CODES.has(netCode)
      : status === 408 || status === 429 || status >= 500;
  return new ProviderError(message, {
    retryable,
    ...(cause ? { cause } : {}),
    ...(status === undefined ? {} : { status }),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    context: { status, code },
  });
}
