import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { NhiError } from '../../lib/errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * One connection, one writer at a time. Every store call runs under `exclusive`: outside a
 * transaction it takes the lock for that call; inside one it joins it (AsyncLocalStorage),
 * so an unrelated async task can never slip its writes into someone else's transaction.
 */
export class SqliteGate {
  readonly db: Db;
  readonly #inTx = new AsyncLocalStorage<boolean>();
  #lock: Promise<void> = Promise.resolve();

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path);
    } catch (cause) {
      throw new NhiError('store', `cannot open state store ${path}: ${(cause as Error).message}`, { cause });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 10000');
    migrate(this.db);
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
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

export function json<T>(text: string): T {
  return JSON.parse(text) as T;
}
