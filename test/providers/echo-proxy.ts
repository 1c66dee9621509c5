/**
 * A loopback proxy in front of a real local server (moto, the Key Vault fake) for the scrubbing
 * suite: it forwards every request unchanged, except the one `breaker` picks. That request is
 * forwarded with its secret taken out, so the real server answers it with a real error, and the
 * proxy rewrites that error to echo the original request body (the way a buggy or hostile
 * service quotes what it refused), optionally also in the error code and with another status.
 * Binds 127.0.0.1 only; HTTPS when given a key and certificate.
 */
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

/** How the rewritten error echoes the request: always in its message, here also in its code. */
export interface EchoMode {
  status: number;
  into: 'message' | 'code';
}

export interface Broken {
  /** The request body forwarded instead of the original (its secret taken out). */
  forward: string;
  /** The secret values the original body carried: the canaries. */
  secrets: string[];
  /** The error code to echo when mode.into is 'code' (one of the secrets, in a form a code can hold). */
  codeEcho: string;
}

export interface ServerDialect {
  /** A request to break, or undefined to forward it as it is. */
  pick(req: IncomingMessage, body: string): Broken | undefined;
  /** The real error answer, rewritten. */
  echo(
    real: { status: number; headers: Record<string, string>; body: string },
    original: string,
    broken: Broken,
    mode: EchoMode,
  ): { status: number; headers: Record<string, string>; body: string };
  /** Secrets in a real answer the adapter receives (e.g. CreateAccessKey's SecretAccessKey). */
  secretsIn?(req: IncomingMessage, body: string, answer: string): string[];
}

export interface EchoProxy {
  url: string;
  /** Every secret value the proxy saw go by (request bodies it broke, answers carrying secrets). */
  seen: Set<string>;
  /** How many requests it broke. */
  broke: number;
  /** What went wrong inside the proxy (a broken request the upstream accepted, ...): must stay empty. */
  problems: string[];
  mode: EchoMode;
  /** The dialect for the current case; undefined forwards everything. */
  dialect: ServerDialect | undefined;
  close(): Promise<void>;
}

export async function startEchoProxy(opts: {
  upstream: string;
  /** Extra CA to trust for the upstream (the Key Vault fake's self-signed certificate). */
  upstreamCa?: string;
  tls?: { key: string; cert: string };
  /** Replace the upstream origin with the proxy's in answers (Key Vault ids and nextLinks). */
  rewriteOrigin?: boolean;
}): Promise<EchoProxy> {
  const upstream = new URL(opts.upstream);
  const proxy: EchoProxy = {
    url: '',
    seen: new Set(),
    broke: 0,
    problems: [],
    mode: { status: 400, into: 'message' },
    dialect: undefined,
    close: async () => undefined,
  };

  const forward = (
    req: IncomingMessage,
    body: string,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined || k === 'content-length' || k === 'transfer-encoding' || k === 'connection')
          continue;
        headers[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      headers.host = upstream.host;
      headers['content-length'] = String(Buffer.byteLength(body));
      const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
      const out = send(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          ...(opts.upstreamCa ? { ca: opts.upstreamCa } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const h: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (
                v === undefined ||
                k === 'content-length' ||
                k === 'transfer-encoding' ||
                k === 'connection'
              )
                continue;
              h[k] = Array.isArray(v) ? v.join(', ') : v;
            }
            resolve({
              status: res.statusCode ?? 502,
              headers: h,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const handler = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const dialect = proxy.dialect;
        const broken = dialect?.pick(req, body);
        let answer = await forward(req, broken ? broken.forward : body);
        if (broken && dialect) {
          proxy.broke++;
          for (const s of broken.secrets) proxy.seen.add(s);
          if (answer.status < 400) throw new Error(`the upstream accepted the broken request ${req.url}`);
          answer = dialect.echo(answer, body, broken, proxy.mode);
        } else if (dialect?.secretsIn) {
          for (const s of dialect.secretsIn(req, body, answer.body)) proxy.seen.add(s);
        }
        let text = answer.body;
        if (opts.rewriteOrigin) text = text.split(upstream.origin).join(proxy.url);
        res.writeHead(answer.status, {
          ...answer.headers,
          'content-length': String(Buffer.byteLength(text)),
        });
        res.end(text);
      })().catch((error: unknown) => {
        proxy.problems.push(String(error));
        res.writeHead(599, { 'content-type': 'text/plain' });
        res.end(`echo proxy: ${String(error)}`);
      });
    });
  };

  const server = opts.tls ? createHttpsServer(opts.tls, handler) : createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  proxy.url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  proxy.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections?.();
      server.close(() => r());
    });
  return proxy;
}
