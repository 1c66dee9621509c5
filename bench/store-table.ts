/** The SQLite vs PostgreSQL figures of `npm run bench` (issue 14): medians, as ratios. */
import { median } from './goals.js';
import type { ScanChildResult } from './scan-child.js';
import type { AppendsResult } from './store-child.js';

export function storeComparison(results: Map<string, unknown[]>): {
  lines: string[];
  json: Record<string, number> | null;
} {
  const get = <T>(name: string) => (results.get(name) ?? []) as T[];
  const appends = (b: string) => get<AppendsResult>(`store appends ${b}`).map((r) => r.perSecond);
  const scan = (b: string) => get<ScanChildResult>(`store scan ${b}`).map((r) => r.seconds);
  const [aSqlite, aPg, sSqlite, sPg] = [
    appends('sqlite'),
    appends('postgres'),
    scan('sqlite'),
    scan('postgres'),
  ];
  if (aSqlite.length === 0 || aPg.length === 0 || sSqlite.length === 0 || sPg.length === 0)
    return { lines: [], json: null };
  const json = {
    sqliteAppendsPerSecond: median(aSqlite),
    postgresAppendsPerSecond: median(aPg),
    appendsRatio: median(aPg) / median(aSqlite),
    sqliteScanSeconds: median(sSqlite),
    postgresScanSeconds: median(sPg),
    scanRatio: median(sPg) / median(sSqlite),
  };
  const n = get<ScanChildResult>('store scan sqlite')[0]?.n ?? 0;
  return {
    json,
    lines: [
      `store: audit appends, one per write transaction: SQLite ${json.sqliteAppendsPerSecond.toFixed(0)}/s, PostgreSQL ${json.postgresAppendsPerSecond.toFixed(0)}/s (PostgreSQL/SQLite ${json.appendsRatio.toFixed(2)})`,
      `store: ${n}-identity scan (0-1 ms provider latency): SQLite ${json.sqliteScanSeconds.toFixed(2)} s, PostgreSQL ${json.postgresScanSeconds.toFixed(2)} s (PostgreSQL/SQLite ${json.scanRatio.toFixed(2)} x the time)`,
    ],
  };
}
