import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { NhiError } from '../../lib/errors.js';

export interface PostgresOpenOptions {
  /** Connections in the pool (default 10). Each open transaction or snapshot holds one. */
  poolSize?: number;
  /** Passed to node-postgres as is (`true`, or `{ ca, rejectUnauthorized, ... }`). */
  ssl?: pg.PoolConfig['ssl'];
  /** Told when a pooled connection fails while idle (the pool replaces it). */
  onWarning?: (message: string) => void;
}

/** Advisory lock keys: (namespace, lock), both int4. The namespace spells "nhi". */
export const LOCK_NAMESPACE = 0x6e6869;
export const MIGRATION_LOCK = 1;
export const WRITE_LOCK = 2;

/** Rows per keyset page of a streamed iterable. */
export const PAGE = 500;

type Params = readonly unknown[];
export type Row = pg.QueryResultRow;

/**
 * Where a store call runs: the pool (one statement, autocommit), a write transaction or a
 * read-only snapshot, each bound to one pooled client.
 */
export interface Conn {
  readonly kind: 'pool' | 'tx' | 'snapshot';
  rows<R extends Row>(sql: string, params?: Params): Promise<R[]>;
  /** A write: refused in a snapshot before it reaches the server. Resolves to the row count. */
  write(sql: string, params?: Params): Promise<number>;
  /**
   * Several statements all-or-nothing: inside a transaction, that one; else a transaction of
   * their own (which takes the write lock, like any).
   */
  atomic<T>(fn: (c: Conn) => Promise<T>): Promise<T>;
}

/**
 * Statements are sent as named prepared statements, one name per SQL text (every SQL text in
 * this folder is a constant or one of a few shapes), so each connection parses each once.
 */
const names = new Map<string, string>();
function query(sql: string, params: Params | undefined): pg.QueryConfig {
  let name = names.get(sql);
  if (!name) {
    name = `nhi_${names.size + 1}`;
    names.set(sql, name);
  }
  return { name, text: sql, values: params ? [...params] : [] };
}

class ClientConn implements Conn {
  /** Set once BEGIN's transaction ended: later calls in its async context go to the pool. */
  done = false;
  /** A statement failed: PostgreSQL has aborted the transaction, so it must not report a commit. */
  failed: unknown;

  constructor(
    readonly kind: 'tx' | 'snapshot',
    readonly client: pg.PoolClient,
  ) {}

  async rows<R extends Row>(sql: string, params?: Params): Promise<R[]> {
    try {
      return (await this.client.query<R>(query(sql, params))).rows;
    } catch (error) {
      this.failed ??= error;
      throw error;
    }
  }

  async write(sql: string, params?: Params): Promise<number> {
    if (this.kind === 'snapshot') {
      throw new NhiError('store', 'a store snapshot is read-only: nothing written inside it persists');
    }
    try {
      return (await this.client.query(query(sql, params))).rowCount ?? 0;
    } catch (error) {
      this.failed ??= error;
      throw error;
    }
  }

  atomic<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

/**
 * The pool and the transaction context. Like SqliteGate, a store call made anywhere inside
 * `transaction` or `snapshot` (through `tx` or through the store itself) joins it: the
 * context travels with the async call chain (AsyncLocalStorage), so an unrelated async task
 * never slips its writes into someone else's transaction.
 */
export class PgGate {
  readonly pool: pg.Pool;
  readonly #ctx = new AsyncLocalStorage<ClientConn>();
  readonly #poolConn: Conn;
  readonly #warn: (message: string) => void;

  constructor(url: string, opts: PostgresOpenOptions = {}) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      ...(opts.ssl !== undefined ? { ssl: opts.ssl } : {}),
      application_name: 'nhi',
    });
    const warn = opts.onWarning ?? (() => {});
    this.#warn = warn;
    // An idle client that loses its server emits here; unhandled, it would crash the process.
    this.pool.on('error', (error) => warn(`state store connection lost: ${error.message}`));
    const pool = this.pool;
    this.#poolConn = {
      kind: 'pool',
      rows: async <R extends Row>(sql: string, params?: Params) =>
        (await pool.query<R>(query(sql, params))).rows,
      write: async (sql, params) => (await pool.query(query(sql, params))).rowCount ?? 0,
      atomic: (fn) => this.#run('tx', fn),
    };
  }

  /** Where a store call made now runs. */
  conn(): Conn {
    const ctx = this.#ctx.getStore();
    return ctx && !ctx.done ? ctx : this.#poolConn;
  }

  /**
   * Write transactions are serialised, as SQLite's BEGIN IMMEDIATE does: each takes the store's
   * write lock (a transaction-scoped advisory lock) right after BEGIN, so a read-check-write in
   * one (a lease compare-and-set, a request's status check, the audit head) is never raced by
   * another process's, and store writers can never deadlock one another. Snapshots and single
   * statements outside a transaction do not wait for it.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.conn().kind !== 'pool') return fn();
    return this.#run('tx', () => fn());
  }

  /** One REPEATABLE READ, READ ONLY snapshot: other processes keep committing meanwhile. */
  snapshot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.conn().kind !== 'pool') return fn();
    return this.#run('snapshot', () => fn());
  }

  async #run<T>(kind: 'tx' | 'snapshot', fn: (c: Conn) => Promise<T>): Promise<T> {
    const client = await connect(this.pool);
    const conn = new ClientConn(kind, client);
    let broken: Error | undefined;
    // A checked-out client that loses its server emits too (the next query also fails).
    const lost = (error: Error) => {
      broken = error;
      this.#warn(`state store connection lost in a transaction: ${error.message}`);
    };
    client.on('error', lost);
    try {
      if (kind === 'snapshot') {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      } else {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, WRITE_LOCK]);
      }
      const result = await this.#ctx.run(conn, () => fn(conn));
      if (kind === 'snapshot') return result;
      if (conn.failed !== undefined) {
        // PostgreSQL would answer COMMIT with ROLLBACK: say so rather than report success.
        throw new NhiError('store', 'transaction rolled back: a statement in it failed', {
          cause: conn.failed,
        });
      }
      const commit = await client.query('COMMIT');
      if (commit.command !== 'COMMIT') throw new NhiError('store', 'transaction was rolled back at commit');
      return result;
    } catch (error) {
      if (kind === 'tx') broken = (await rollback(client)) ?? broken;
      throw error;
    } finally {
      if (kind === 'snapshot') broken = (await rollback(client)) ?? broken;
      conn.done = true;
      client.off('error', lost);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** ROLLBACK; a client whose ROLLBACK fails is not reused (the error destroys it on release). */
async function rollback(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

export async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (cause) {
    throw cannotConnect(cause);
  }
}

/** The message names the server's reason, never the URL (which may carry a password). */
export function cannotConnect(cause: unknown): NhiError {
  return new NhiError('store', `cannot connect to the state store database: ${(cause as Error).message}`, {
    cause,
  });
}

export function json<T>(text: string): T {
  return JSON.parse(text) as T;
}

/**
 * Every row of a keyset-paged query, streamed a page at a time: the SQL takes the page size as
 * its last parameter, `params` builds the others from the last row of the previous page. Each
 * page is its own statement (inside a transaction or snapshot, on its client), so memory stays
 * one page however many rows there are.
 */
export async function* paged<R extends Row>(
  g: PgGate,
  sql: string,
  params: (last: R | undefined) => Params,
): AsyncIterable<R> {
  let last: R | undefined;
  for (;;) {
    const rows = await g.conn().rows<R>(sql, [...params(last), PAGE]);
    yield* rows;
    if (rows.length < PAGE) return;
    last = rows.at(-1);
  }
}

/**
 * Merge `patch` into the JSON body of one row and write it back with the columns derived from
 * it, as one atomic step: the row is read under its row lock (FOR UPDATE), so a concurrent
 * update of the same row from another process waits and merges onto this one's result.
 * `table`, `key` and the column names are this folder's constants, never input.
 */
export async function patchBody<T extends object>(
  g: PgGate,
  table: string,
  key: string,
  id: string,
  patch: Partial<T>,
  missing: () => Error,
  columns: Readonly<Record<string, (next: T) => unknown>> = {},
): Promise<void> {
  await g.conn().atomic(async (c) => {
    const lock = c.kind === 'snapshot' ? '' : ' FOR UPDATE';
    const [row] = await c.rows<{ body: string }>(`SELECT body FROM ${table} WHERE ${key} = $1${lock}`, [id]);
    if (!row) throw missing();
    const next = { ...json<T>(row.body), ...patch };
    const cols = Object.entries(columns);
    const sets = ['body = $2', ...cols.map(([name], i) => `${name} = $${i + 3}`)];
    await c.write(`UPDATE ${table} SET ${sets.join(', ')} WHERE ${key} = $1`, [
      id,
      JSON.stringify(next),
      ...cols.map(([, value]) => value(next)),
    ]);
  });
}
