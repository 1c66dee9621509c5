/**
 * A state store whose disk fills up on demand. Writes then fail with the error SQLite itself
 * raises for a full database (a real SqliteError, SQLITE_FULL, "database or disk is full"),
 * while reads keep working — as with a full filesystem. A SQLite file on a tiny filesystem is
 * not available here, so the fault goes in through the Store interface.
 */
import Database from 'better-sqlite3';
import type { Store, StoreTx } from '../../src/store/store.js';

const WRITES = /^(add|append|insert|put|release|update|upsert)/;

/** The error SQLite raises when it cannot grow a database, provoked with its own page limit. */
export function sqliteFullError(): Error {
  const db = new Database(':memory:');
  try {
    db.pragma('max_page_count = 2');
    db.exec('CREATE TABLE filler (x BLOB)');
    db.prepare('INSERT INTO filler VALUES (?)').run(Buffer.alloc(64 * 1024));
  } catch (error) {
    return error as Error;
  } finally {
    db.close();
  }
  throw new Error('SQLite did not report a full database');
}

export interface FullDisk {
  store: Store;
  /** From now on every write fails with SQLITE_FULL. */
  fill(): void;
  /** Space is back. */
  free(): void;
  /** Writes refused while full. */
  refused: number;
}

export function fullDiskStore(inner: Store): FullDisk {
  const state: FullDisk = { store: inner, fill: () => {}, free: () => {}, refused: 0 };
  let full = false;
  const guard = <T extends object>(area: T): T =>
    new Proxy(area, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (typeof prop === 'string' && WRITES.test(prop))
          return (...args: unknown[]) => {
            if (full) {
              state.refused++;
              return Promise.reject(sqliteFullError());
            }
            return value.apply(target, args);
          };
        return value.bind(target);
      },
    });
  const areas = (tx: StoreTx): StoreTx => {
    const wrapped = { ...tx } as Record<string, unknown>;
    for (const [name, area] of Object.entries(tx))
      if (area && typeof area === 'object') wrapped[name] = guard(area);
    return wrapped as unknown as StoreTx;
  };
  state.store = {
    ...inner,
    ...areas(inner),
    transaction: (fn) => inner.transaction((tx) => fn(areas(tx))),
    snapshot: (fn) => inner.snapshot((tx) => fn(areas(tx))),
  };
  state.fill = () => {
    full = true;
  };
  state.free = () => {
    full = false;
  };
  return state;
}
