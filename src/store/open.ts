/**
 * Open the configured state store: the embedded SQLite file, or the shared PostgreSQL database
 * (docs/adr/061-shared-service.md). Each backend is loaded only when configured, so a SQLite
 * user never loads the PostgreSQL driver and the other way round.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Config } from '../config/load.js';
import { configRelative } from '../config/load.js';
import { ConfigError } from '../lib/errors.js';
import type { Store } from './store.js';

export interface OpenedStateStore {
  store: Store;
  /** The schema version this nhi writes for the backend (what /readyz expects). */
  latestSchemaVersion: number;
  /** Where the state lives, for messages: the file, or the database URL without its password. */
  where: string;
}

export interface StateStoreOptions {
  onWarning?: (message: string) => void;
}

export async function openStateStore(
  config: Config,
  opts: StateStoreOptions = {},
): Promise<OpenedStateStore> {
  const state = config.state;
  if (state.driver === 'postgres') {
    const target = postgresTarget(config);
    if (typeof state.ssl === 'object' && !state.ssl.rejectUnauthorized) {
      opts.onWarning?.(
        'state.ssl.rejectUnauthorized is false: the database server certificate is not checked',
      );
    }
    const pgStore = await import('./postgres/index.js');
    const store = await pgStore.openPostgresStore(target.url, {
      poolSize: state.poolSize,
      ...(target.ssl !== undefined ? { ssl: target.ssl } : {}),
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    });
    return { store, latestSchemaVersion: pgStore.LATEST_SCHEMA_VERSION, where: target.where };
  }
  const path = configRelative(config, state.path);
  const sqlite = await import('./sqlite/index.js');
  const store = sqlite.openSqliteStore(path, opts.onWarning ? { onWarning: opts.onWarning } : {});
  return { store, latestSchemaVersion: sqlite.LATEST_SCHEMA_VERSION, where: path };
}

export interface PostgresTarget {
  url: string;
  ssl?: boolean | ConnectionOptions;
  where: string;
}

/**
 * The PostgreSQL connection from `state`: the URL checked (a malformed one is named by its
 * config path, never echoed: it carries the password) and the TLS options read.
 */
export function postgresTarget(config: Config): PostgresTarget {
  const state = config.state;
  if (!state.url) throw new ConfigError('state.url is not set (driver "postgres")');
  const url = state.url.reveal();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      'state.url is not a URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE (the value is not shown)',
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`state.url must be a postgres:// or postgresql:// URL, not ${parsed.protocol}//…`);
  }
  const sslParams = [...parsed.searchParams.keys()].filter((k) => k.startsWith('ssl'));
  if (state.ssl !== undefined && sslParams.length > 0) {
    // node-postgres lets the URL's sslmode override the ssl option: one place decides TLS.
    throw new ConfigError(
      `state.ssl and the URL's ${sslParams.join(', ')} both set TLS; keep one (state.ssl is checked more strictly)`,
    );
  }
  const where = `${parsed.protocol}//${parsed.username ? `${decodeURIComponent(parsed.username)}@` : ''}${parsed.host}${parsed.pathname}`;
  const ssl = tlsOptions(config);
  return { url, where, ...(ssl !== undefined ? { ssl } : {}) };
}

function tlsOptions(config: Config): boolean | ConnectionOptions | undefined {
  const ssl = config.state.ssl;
  if (ssl === undefined || typeof ssl === 'boolean') return ssl;
  const file = (field: 'ca' | 'cert', path: string): string => {
    const full = configRelative(config, path);
    try {
      return readFileSync(full, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `state.ssl.${field}: cannot read ${full}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  };
  return {
    rejectUnauthorized: ssl.rejectUnauthorized,
    ...(ssl.ca ? { ca: file('ca', ssl.ca) } : {}),
    ...(ssl.cert ? { cert: file('cert', ssl.cert) } : {}),
    ...(ssl.key ? { key: ssl.key.reveal() } : {}),
  };
}
