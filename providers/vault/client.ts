/**
 * The narrow HTTP shape the Vault adapter codes against, and its node-vault implementation.
 * Unit tests pass a plain object with `request`; production uses node-vault (see
 * docs/adr/010-vault-client.md for why it is wrapped this way and hardened as below).
 */
import { readFileSync } from 'node:fs';
import nodeVault from 'node-vault';

export type VaultMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'LIST';

export interface VaultRequest {
  method: VaultMethod;
  /** Path under /v1, starting with '/', segments already URI-encoded. */
  path: string;
  json?: unknown;
  headers?: Record<string, string>;
}

/** Resolves with the parsed body for 2xx; rejects with VaultResponseError for an HTTP error status. */
export interface VaultHttp {
  request(req: VaultRequest): Promise<unknown>;
}

/** An HTTP error answer from Vault. Holds only the status and Vault's `errors` strings, never the body. */
export class VaultResponseError extends Error {
  readonly status: number;
  readonly messages: readonly string[];
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, messages: readonly string[], retryAfterSeconds?: number) {
    super(`HTTP ${status}`);
    this.name = 'VaultResponseError';
    this.status = status;
    this.messages = messages;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface NodeVaultOptions {
  address: string;
  namespace?: string;
  caFile?: string;
  timeoutMs: number;
}

interface NodeVaultClientLike {
  token: string;
  namespace?: string;
  request(opts: {
    method: string;
    path: string;
    json?: unknown;
    headers?: Record<string, string>;
  }): Promise<unknown>;
}

export function createNodeVaultHttp(opts: NodeVaultOptions): VaultHttp {
  const requestOptions: Record<string, unknown> = {};
  if (opts.caFile) requestOptions.ca = readFileSync(opts.caFile);
  // `rpDefaults` is read by node-vault 0.12 (src/index.js) but missing from its typings.
  const options: Parameters<typeof nodeVault>[0] & { rpDefaults: Record<string, unknown> } = {
    endpoint: opts.address,
    // node-vault's `debug` logs request bodies (secret values) when DEBUG=node-vault is set.
    debug: () => undefined,
    // node-vault turns TLS verification off when VAULT_SKIP_VERIFY is set in the environment.
    rpDefaults: { strictSSL: true, timeout: opts.timeoutMs },
    requestOptions,
  };
  const client = nodeVault(options) as unknown as NodeVaultClientLike;
  // node-vault falls back to VAULT_TOKEN / VAULT_NAMESPACE from the environment; the adapter
  // sends its own token per request and only the configured namespace.
  client.token = '';
  client.namespace = opts.namespace ?? '';
  return {
    async request(req) {
      try {
        return await client.request({
          method: req.method,
          path: req.path,
          headers: { ...req.headers },
          ...(req.json === undefined ? {} : { json: req.json }),
        });
      } catch (error) {
        throw toVaultResponseError(error);
      }
    },
  };
}

function toVaultResponseError(error: unknown): unknown {
  const e = error as { response?: { statusCode?: unknown; body?: unknown } };
  if (typeof e?.response?.statusCode !== 'number') return error;
  const body = e.response.body as { errors?: unknown } | undefined;
  const messages = Array.isArray(body?.errors) ? body.errors.filter((m) => typeof m === 'string') : [];
  return new VaultResponseError(e.response.statusCode, messages);
}
