/**
 * Where nhi keeps its state: the embedded SQLite file (one host, the default) or a shared
 * PostgreSQL database (several `nhi serve` instances, runs from several hosts; ADR 061).
 */
import { z } from 'zod';
import { secretRefSchema } from '../lib/secret-ref.js';

const DEFAULT_SQLITE_PATH = './nhi-state.db';

/**
 * TLS to PostgreSQL, as node-postgres takes it. `ca` and `cert` are files (relative to the
 * config file); the client key is a secret reference. Certificates are checked unless
 * `rejectUnauthorized: false` says otherwise (a warning).
 */
const postgresTlsSchema = z.union([
  z.boolean(),
  z
    .object({
      ca: z.string().min(1).optional(),
      cert: z.string().min(1).optional(),
      key: secretRefSchema.optional(),
      rejectUnauthorized: z.boolean().default(true),
    })
    .strict(),
]);

export const stateSchema = z
  .object({
    /** `sqlite` (default) or `postgres`; a `url` alone implies `postgres`. */
    driver: z.enum(['sqlite', 'postgres']).optional(),
    /** SQLite: the database file, relative to the config file. */
    path: z.string().min(1).optional(),
    /** PostgreSQL: a reference to the connection URL (it carries the password): "env:NHI_DATABASE_URL". */
    url: secretRefSchema.optional(),
    ssl: postgresTlsSchema.optional(),
    /** PostgreSQL: connections per process. Each open transaction, snapshot or stream holds one. */
    poolSize: z.number().int().min(2).max(100).default(10),
  })
  .strict()
  .superRefine((state, ctx) => {
    const driver = state.driver ?? (state.url ? 'postgres' : 'sqlite');
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message, input: undefined });
    if (driver === 'postgres') {
      if (!state.url) issue('url', 'driver "postgres" needs url: "env:NHI_DATABASE_URL" (or file:PATH)');
      if (state.path !== undefined) issue('path', 'path is the SQLite file; with driver "postgres" use url');
    } else {
      if (state.url) issue('url', 'url is for driver "postgres"; the SQLite store takes path');
      if (state.ssl !== undefined) issue('ssl', 'ssl is for driver "postgres"');
    }
  })
  .transform((state) => {
    const driver: 'sqlite' | 'postgres' = state.driver ?? (state.url ? 'postgres' : 'sqlite');
    return {
      ...state,
      driver,
      // Tests and tools read `state.path` of a SQLite config; it is always set for that driver.
      path: state.path ?? (driver === 'sqlite' ? DEFAULT_SQLITE_PATH : ''),
    };
  })
  .default({ driver: 'sqlite', path: DEFAULT_SQLITE_PATH, poolSize: 10 });

export type StateConfig = z.output<typeof stateSchema>;
