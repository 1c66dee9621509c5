#!/usr/bin/env node
import { readFileSync } from 'node:fs';
// Fake Azure Key Vault (secrets data plane), written from the Key Vault REST API docs as TEST
// INFRASTRUCTURE for nhi-reissue's adapter tests. In-memory, HTTPS, loopback only. Not the adapter:
// shares no code with providers/azure. See test/servers/README.md for what it implements and how it
// differs from the real service.
//
//   node test/servers/keyvault/server.mjs [--port 8443] [--host 127.0.0.1] [--base-url https://localhost:8443]
//        [--servers-dir <repo>/.servers] [--tenant <guid>]
//   node test/servers/keyvault/server.mjs --ensure-cert [--force-alias]   # only make the certificate, then exit
//
// Logs one line per request: method, path (never the query), status, duration. Never bodies or values.
import { createServer } from 'node:https';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { API_VERSIONS, checkApiVersion, handleApi } from './api.mjs';
import { handleFake } from './fake.mjs';
import { KvError, loggablePath, sendError, sendJson } from './http.mjs';
import { handleManagement } from './management.mjs';
import { hostileOff } from './paging.mjs';
import { createStore } from './store.mjs';
import { defaultPaths, ensureCertificate } from './tls.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '8443' },
    host: { type: 'string', default: '127.0.0.1' },
    'base-url': { type: 'string' },
    'servers-dir': { type: 'string', default: resolve(here, '..', '..', '..', '.servers') },
    tenant: { type: 'string', default: '9f2a1c4e-0b7d-4c59-8e3a-6d1f0c2b7a55' },
    'ensure-cert': { type: 'boolean', default: false },
    'force-alias': { type: 'boolean', default: false },
  },
});

const port = Number(args.port);
const host = String(args.host);
if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
  console.error(`refusing to bind ${host}: the fake Key Vault binds only to loopback`);
  process.exit(2);
}
const baseUrl = (args['base-url'] ?? `https://localhost:${port}`).replace(/\/+$/, '');
const paths = defaultPaths(String(args['servers-dir']));

const { generated } = ensureCertificate({ ...paths, forceAlias: args['force-alias'] });
if (generated)
  console.log(
    `[keyvault] generated self-signed certificate ${paths.certPath} (SAN DNS:localhost, IP:127.0.0.1)`,
  );
if (args['ensure-cert']) process.exit(0);

const CHALLENGE = `Bearer authorization="https://login.microsoftonline.com/${args.tenant}", resource="https://vault.azure.net"`;
const INFO = {
  implementation: 'nhi-reissue fake Azure Key Vault (test/servers/keyvault/server.mjs)',
  baseUrl,
  apiVersions: API_VERSIONS,
  operations: [
    'SetSecret',
    'GetSecret',
    'UpdateSecret',
    'GetSecrets',
    'GetSecretVersions',
    'DeleteSecret',
    'GetDeletedSecrets',
    'GetDeletedSecret',
    'RecoverDeletedSecret',
    'PurgeDeletedSecret',
  ],
  management: [
    'PUT /management/vault/time/all?seconds=N[&namePrefix=P]',
    'PUT /management/vault/time?baseUri=U&seconds=N[&namePrefix=P]',
  ],
};

/** @type {{ store: import('./store.mjs').Store, hostile: import('./paging.mjs').Hostile, requests: { method: string, path: string, status: number }[] }} */
const state = { store: createStore({ baseUrl }), hostile: hostileOff(), requests: [] };
const MAX_REQUEST_LOG = 1000;

/** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
async function handle(req, res) {
  const url = new URL(req.url ?? '/', baseUrl);
  if (url.pathname === '/ping') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-nhi-fake-keyvault': '1' });
    res.end('pong');
    return;
  }
  if (url.pathname === '/_fake' || url.pathname.startsWith('/_fake/')) {
    await handleFake({ req, res, url, state, info: INFO });
    return;
  }
  if (url.pathname === '/management' || url.pathname.startsWith('/management/')) {
    // Lowkey Vault's management API (time shift only); like Lowkey's, it takes no bearer token.
    await handleManagement({ req, res, url, store: state.store, baseUrl });
    return;
  }
  const auth = req.headers.authorization ?? '';
  if (!/^Bearer\s+\S+/i.test(auth)) {
    // What the service answers to the Azure SDK's first, token-less request (challenge-based auth).
    sendError(res, new KvError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.'), {
      'www-authenticate': CHALLENGE,
    });
    return;
  }
  const apiVersion = checkApiVersion(url.searchParams);
  await handleApi({ req, res, url, apiVersion, store: state.store, baseUrl, hostile: () => state.hostile });
}

const server = createServer(
  { cert: readFileSync(paths.certPath), key: readFileSync(paths.keyPath), keepAliveTimeout: 5000 },
  (req, res) => {
    const started = process.hrtime.bigint();
    const method = req.method ?? '?';
    const path = loggablePath(new URL(req.url ?? '/', baseUrl).pathname);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      console.log(`${new Date().toISOString()} ${method} ${path} ${res.statusCode} ${ms.toFixed(1)}ms`);
      if (!path.startsWith('/_fake') && path !== '/ping') {
        state.requests.push({ method, path, status: res.statusCode });
        if (state.requests.length > MAX_REQUEST_LOG)
          state.requests.splice(0, state.requests.length - MAX_REQUEST_LOG);
      }
    });
    handle(req, res).catch((err) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof KvError) {
        sendError(res, err);
        return;
      }
      console.error(
        `[keyvault] internal error on ${method} ${path}: ${err instanceof Error ? err.name : typeof err}`,
      );
      sendJson(res, 500, {
        error: { code: 'InternalServerError', message: 'Internal error in the fake Key Vault.' },
      });
    });
  },
);

server.on('tlsClientError', () => {
  // e.g. a client that does not trust the self-signed certificate; nothing to log per connection.
});
server.listen(port, host, () => {
  console.log(
    `[keyvault] fake Azure Key Vault listening on https://${host}:${port} (vault URL ${baseUrl}, pid ${process.pid})`,
  );
});

for (const sig of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.on(sig, () => {
    console.log(`[keyvault] ${sig}: shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
