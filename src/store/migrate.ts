/**
 * `nhi db migrate`: bring the configured state store to this nhi's schema, or (`check`) only
 * say whether it is. Every open migrates too (under a lock on PostgreSQL); this is for a deploy
 * step that migrates once, before new instances start, and for a pipeline that must know.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config/load.js';
import { configRelative } from '../config/load.js';
import { postgresTarget } from './open.js';

export interface SchemaStatus {
  driver: 'sqlite' | 'postgres';
  where: string;
  /** The version before this call, and after it (the same with `check`). */
  from: number;
  to: number;
  /** This nhi's schema version. */
  latest: number;
  /** Versions this call applied (another instance may have applied some first). */
  applied: number[];
}

export async function migrateState(config: Config, opts: { check: boolean }): Promise<SchemaStatus> {
  if (config.state.driver === 'postgres') {
    const target = postgresTarget(config);
    const pgStore = await import('./postgres/index.js');
    const ssl = target.ssl !== undefined ? { ssl: target.ssl } : {};
    const base = { driver: 'postgres' as const, where: target.where, latest: pgStore.LATEST_SCHEMA_VERSION };
    if (opts.check) {
      const v = await pgStore.postgresSchemaVersion(target.url, ssl);
      return { ...base, from: v, to: v, applied: [] };
    }
    return { ...base, ...(await pgStore.migratePostgres(target.url, ssl)) };
  }
  const path = configRelative(config, config.state.path);
  const sqlite = await import('./sqlite/index.js');
  const base = { driver: 'sqlite' as const, where: path, latest: sqlite.LATEST_SCHEMA_VERSION };
  const from = existsSync(path) ? sqlite.sqliteSchemaVersion(path) : 0;
  if (opts.check || from >= base.latest) return { ...base, from, to: from, applied: [] };
  // Opening migrates (each version in its own transaction), as every command's open does.
  await sqlite.openSqliteStore(path).close();
  const to = sqlite.sqliteSchemaVersion(path);
  return { ...base, from, to, applied: sqlite.MIGRATION_VERSIONS.filter((v) => v > from && v <= to) };
}
