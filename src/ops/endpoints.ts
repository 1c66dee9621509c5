/**
 * `nhi serve`'s operations endpoints as one part: the metrics (./metrics.ts) and the server
 * (./server.ts) that shows them, with readiness following the instance's role. src/app.ts
 * loads this module only when `ops` is configured.
 */
import type { Logger } from 'pino';
import { createOpsMetrics, type MetricsStore } from './metrics.js';
import { startOpsServer } from './server.js';

export interface OpsEndpoints {
  url: string;
  /** Readiness and the nhi_leader gauge follow the instance's role. */
  setRole(role: 'leader' | 'standby'): void;
  close(): Promise<void>;
}

export async function startOpsEndpoints(deps: {
  listen: string;
  store: MetricsStore & { schemaVersion(): Promise<number> };
  /** The schema version this build migrates to: /readyz fails while the store's differs. */
  expectedSchema: number;
  logger: Logger;
  now: () => Date;
}): Promise<OpsEndpoints> {
  const metrics = createOpsMetrics(deps.store, deps.now);
  let role: 'leader' | 'standby' = 'standby';
  const server = await startOpsServer({
    listen: deps.listen,
    metrics,
    readiness: {
      schema: async () => ({ current: await deps.store.schemaVersion(), expected: deps.expectedSchema }),
      role: () => role,
    },
    logger: deps.logger,
  });
  return {
    url: server.url,
    setRole: (r) => {
      role = r;
      metrics.setRole(r);
    },
    close: async () => {
      metrics.close();
      await server.close();
    },
  };
}
