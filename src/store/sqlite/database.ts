import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { NhiError } from '../../lib/errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export interface SqliteOpenOptions {
  /** Told when an existing state file had group/other permission bits (and what was done). */
  onWarning?: (message: string) => void;
}

/** The database file and the files SQLite keeps next to it in WAL mode. */
export function stateFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/**
 * The state store is readable only by its owner: its directory is created 0700, the database
 * file 0600 before SQLite opens it (SQLite gives the -wal and -shm files the database file's
 * mode). A file from before, with group or other bits set, is tightened to owner-only and the
 * caller warned; if that fails (not the file's owner), the warning carries the fix.
 */
function prepareStateFile(path: string, warn: (message: string) => void): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  try {
    closeSync(openSync(path, 'wx', 0o600));
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return; // SQLite's open reports it
  }
  for (const file of stateFiles(path)) {
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch {
      continue;
    }
    if ((mode & 0o077) === 0) continue;
    const octal = (m: number) => (m & 0o777).toString(8).padStart(4, '0');
    const was = octal(mode);
    try {
      chmodSync(file, mode & 0o700);
      warn(
        `state file ${file} was mode ${was} (group or others had access); nhi set it to ${octal(mode & 0o700)}`,
      );
    } catch (error) {
      warn(
        `state file ${file} is mode ${was}: group or others can access the state store ` +
          `(${(error as NodeJS.ErrnoException).code ?? 'chmod failed'}); fix: chmod 600 ${file}`,
      );
    }
  }
}

/**
 * Switch a connection to WAL. Several processes opening one new state file at once (CI jobs,
 * `nhi serve` replicas) race to change its journal mode, and SQLite answers SQLITE_BUSY there
 * without waiting on the busy timeout (it does not wait for a lock it could deadlock on), so the
 * switch is retried for up to ~10 s, with a jittered pause between attempts.
 */
function walMode(db: Db): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 400) throw error;
      Atomics.wait(pause, 0, 0, 10 + Math.floor(Math.random() * 20));
    }
  }
}

/**
 * One connection, one writer at a time. Every store call runs under `exclusive`: outside a
 * transaction it takes the lock for that call; inside one it joins it (AsyncLocalStorage),
 * so an unrelated async task can never slip its writes into someone else's transaction.
 */
export class SqliteGate {
  readonly db: Db;
  /**
   * `prepare` with one compiled statement per SQL text, reused for the connection's life: a scan
   * runs ~8 statements per identity, and compiling them again each time was 30 % of the engine's
   * CPU (issue 17). Areas prepare through this, never through `db`.
   */
  readonly statements: Pick<Db, 'prepare'>;
  /** The database file, absolute (undefined in memory): where other connections can open it. */
  readonly file: string | undefined;
  readonly #inTx = new AsyncLocalStorage<boolean>();
  #lock: Promise<void> = Promise.resolve();

  constructor(path: string, opts: SqliteOpenOptions = {}) {
    if (path !== ':memory:' && path !== '') prepareStateFile(path, opts.onWarning ?? (() => {}));
    try {
      this.db = new Database(path);
    } catch (cause) {
      throw new NhiError('store', `cannot open state store ${path}: ${(cause as Error).message}`, { cause });
    }
    this.db.pragma('busy_timeout = 10000');
    walMode(this.db);
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    // better-sqlite3 builds SQLite with a 16 MB page cache per connection; the store's work is
    // primary-key lookups and appends, which the OS page cache serves as well. 2 MB (SQLite's
    // own default) keeps a 100k-identity scan's RSS near a 1k one's (issue 17).
    this.db.pragma('cache_size = -2000');
    migrate(this.db);
    this.statements = { prepare: cachedPrepare(this.db) };
    this.file = this.db.memory ? undefined : resolve(path);
  }

  async exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.#inTx.getStore()) return fn();
    const previous = this.#lock;
    let release!: () => void;
    this.#lock = new Promise((r) => {
      release = r;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#inTx.getStore()) return fn();
    return this.exclusive(() =>
      this.#inTx.run(true, async () => {
        // IMMEDIATE takes the write lock now, so two processes cannot both read the audit
        // head and append the same seq.
        this.db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn();
          this.db.exec('COMMIT');
          return result;
        } catch (error) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          throw error;
        }
      }),
    );
  }

  /**
   * A read transaction: in WAL mode its snapshot is fixed at the first read and other
   * processes' writers are not blocked. Always rolled back, so it stays read-only.
   */
  async snapshot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#inTx.getStore()) return fn();
    return this.exclusive(() =>
      this.#inTx.run(true, async () => {
        this.db.exec('BEGIN DEFERRED');
        try {
          return await fn();
        } finally {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
        }
      }),
    );
  }
}

/** Dynamic SQL (IN lists, optional filters) has a few shapes; the cap only guards against a leak. */
const MAX_CACHED_STATEMENTS = 256;

function cachedPrepare(db: Db): Db['prepare'] {
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
  return prepare as Db['prepare'];
}

function migrate(db: Db): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new NhiError(
      'store',
      `state store schema v${current} is newer than this nhi (v${latest}); upgrade nhi`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    // Re-read under the write lock (BEGIN IMMEDIATE): another process opening the same new file
    // at the same moment may have applied this version since the read above.
    db.transaction(() => {
      if (Number(db.pragma('user_version', { simple: true })) >= m.version) return;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

export function json<T>(text: string): T {
  return JSON.parse(text) as T;
}
