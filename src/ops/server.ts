/**
 * `nhi serve`'s operations endpoints on `ops.listen` (loopback by default), apart from the
 * approval page so probes and scrapers need no session:
 * - GET /healthz: 200 while the process is up;
 * - GET /readyz: 200 when the store answers, its schema is the one this build migrates to, and
 *   the instance knows its role (leader or standby); 503 with the reason otherwise;
 * - GET /metrics: Prometheus text format (metrics.ts).
 * Anything else is 404; only GET and HEAD.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { parseListen } from '../config/web-schema.js';
import type { OpsMetrics } from './metrics.js';

export interface Readiness {
  /** The store's schema version now, and the one this build expects. */
  schema(): Promise<{ current: number; expected: number }>;
  role(): 'leader' | 'standby';
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);

async function ready(readiness: Readiness, res: ServerResponse): Promise<void> {
  try {
    const { current, expected } = await readiness.schema();
    if (current !== expected) {
      json(res, 503, {
        ready: false,
        reason: `store schema is version ${current}, this build needs ${expected} (run nhi db migrate)`,
      });
      return;
    }
    json(res, 200, { ready: true, role: readiness.role(), schema: current });
  } catch (error) {
    // The reason is the store's error class, not its text: a driver message may carry the URL.
    json(res, 503, { ready: false, reason: `store unreachable (${(error as Error)?.name ?? 'error'})` });
  }
}

export async function startOpsServer(deps: {
  listen: string;
  metrics: OpsMetrics;
  readiness: Readiness;
  logger: Logger;
}): Promise<OpsServer> {
  const { host, port } = parseListen(deps.listen);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://ops').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') return json(res, 200, { ok: true });
    if (path === '/readyz') return void ready(deps.readiness, res);
    if (path === '/metrics') {
      deps.metrics
        .render()
        .then((text) => send(res, 200, deps.metrics.registry.contentType, text))
        .catch((error) => {
          deps.logger.warn({ err: (error as Error)?.name ?? 'error' }, 'metrics: reading the store failed');
          send(res, 503, 'text/plain', 'metrics unavailable: the store did not answer\n');
        });
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  deps.logger.info({ url }, 'operations endpoints listening (/healthz, /readyz, /metrics)');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
