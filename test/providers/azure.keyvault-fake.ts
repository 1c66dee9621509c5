/**
 * A wire-level stand-in for the Azure Key Vault secrets REST API (api-version 7.x), written from
 * the public REST reference, for use when Lowkey Vault is not available (its app jar is not served
 * by any registry this machine reaches; see test/servers/README.md). It is kept apart from the
 * adapter and speaks HTTPS with a throw-away self-signed certificate, because the SDK refuses to
 * send bearer tokens over plain HTTP.
 *
 * What it models: challenge auth (401 + WWW-Authenticate without a bearer token), secrets as
 * ordered versions with per-version attributes and tags, "latest" = last version written,
 * 403 on reading a disabled version, soft delete / get / list / recover / purge of deleted
 * secrets, `maxresults` + `$skiptoken` paging with absolute `nextLink`s, and timestamps in Unix
 * seconds (like the real service, so two writes in one second tie). `override` lets a test answer
 * any request itself (hostile pages, 429s); `advanceClock` shifts time like Lowkey's time API.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeTls {
  key: string;
  cert: string;
  caFile: string;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorized: boolean;
  body?: unknown;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Version {
  id: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  exp?: number;
  nbf?: number;
  created: number;
  updated: number;
}

interface Secret {
  versions: Version[];
  deleted?: { deletedDate: number; scheduledPurgeDate: number };
}

export interface FakeKeyVault {
  url: string;
  tls: FakeTls;
  requests: FakeRequest[];
  /** Answer a request before the fake does; return undefined to let the fake handle it. */
  override: ((req: FakeRequest, base: string) => FakeReply | undefined) | undefined;
  /** Replace the reply after the fake applied the request (a write that happened, a lost response). */
  rewrite: ((req: FakeRequest, reply: FakeReply) => FakeReply | undefined) | undefined;
  advanceClock(seconds: number): void;
  close(): Promise<void>;
}

const NAME = /^[0-9a-zA-Z-]{1,127}$/;

export function makeSelfSignedTls(): FakeTls {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-fake-kv-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), caFile: certFile };
}

export async function startFakeKeyVault(opts: { tls?: FakeTls; host?: string } = {}): Promise<FakeKeyVault> {
  const tls = opts.tls ?? makeSelfSignedTls();
  const secrets = new Map<string, Secret>();
  const requests: FakeRequest[] = [];
  let offset = 0;
  const now = () => Math.floor(Date.now() / 1000) + offset;
  const fake: FakeKeyVault = {
    url: '',
    tls,
    requests,
    override: undefined,
    rewrite: undefined,
    advanceClock: (s) => {
      offset += s;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const error = (status: number, code: string, message: string): FakeReply => ({
    status,
    body: { error: { code, message } },
  });
  const attrs = (v: Version) => ({
    enabled: v.enabled,
    created: v.created,
    updated: v.updated,
    ...(v.exp === undefined ? {} : { exp: v.exp }),
    ...(v.nbf === undefined ? {} : { nbf: v.nbf }),
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
  });
  const latest = (s: Secret) => s.versions[s.versions.length - 1] as Version;
  const bundle = (base: string, name: string, v: Version, withValue: boolean) => ({
    ...(withValue ? { value: v.value } : {}),
    id: `${base}/secrets/${name}/${v.id}`,
    ...(v.contentType === undefined ? {} : { contentType: v.contentType }),
    attributes: attrs(v),
    ...(v.tags === undefined ? {} : { tags: v.tags }),
  });
  const deletedBundle = (base: string, name: string, s: Secret) => ({
    ...bundle(base, name, latest(s), false),
    recoveryId: `${base}/deletedsecrets/${name}`,
    deletedDate: s.deleted?.deletedDate,
    scheduledPurgeDate: s.deleted?.scheduledPurgeDate,
  });
  const page = <T>(items: T[], q: URLSearchParams, base: string, path: string) => {
    const max = Math.min(25, Number(q.get('maxresults') ?? 25) || 25);
    const skip = Number(q.get('$skiptoken') ?? 0) || 0;
    const more = skip + max < items.length;
    const api = q.get('api-version') ?? '';
    return {
      value: items.slice(skip, skip + max),
      nextLink: more ? `${base}${path}?api-version=${api}&$skiptoken=${skip + max}&maxresults=${max}` : null,
    };
  };

  function handle(
    method: string,
    parts: string[],
    q: URLSearchParams,
    body: unknown,
    base: string,
  ): FakeReply {
    const [collection, name, third, fourth] = parts;
    if (name !== undefined && !NAME.test(name)) return error(400, 'BadParameter', 'invalid name');
    const s = name === undefined ? undefined : secrets.get(name);
    const live = s && !s.deleted ? s : undefined;
    const notFound = () =>
      error(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
    if (collection === 'secrets') {
      if (name === undefined && method === 'GET') {
        const items = [...secrets.entries()]
          .filter(([, x]) => !x.deleted)
          .map(([n, x]) => {
            const v = latest(x);
            return {
              id: `${base}/secrets/${n}`,
              attributes: attrs(v),
              ...(v.tags ? { tags: v.tags } : {}),
              ...(v.contentType ? { contentType: v.contentType } : {}),
            };
          });
        return { status: 200, body: page(items, q, base, '/secrets') };
      }
      if (name === undefined) return error(405, 'MethodNotAllowed', 'not allowed');
      if (third === undefined && method === 'PUT') {
        if (s?.deleted)
          return error(409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state.`);
        const b = (body ?? {}) as {
          value?: unknown;
          contentType?: string;
          tags?: Record<string, string>;
          attributes?: { enabled?: boolean; exp?: number; nbf?: number };
        };
        if (typeof b.value !== 'string') return error(400, 'BadParameter', 'value is required');
        const t = now();
        const v: Version = {
          id: randomBytes(16).toString('hex'),
          value: b.value,
          enabled: b.attributes?.enabled ?? true,
          created: t,
          updated: t,
          ...(b.contentType === undefined ? {} : { contentType: b.contentType }),
          ...(b.tags === undefined ? {} : { tags: b.tags }),
          ...(b.attributes?.exp === undefined ? {} : { exp: b.attributes.exp }),
          ...(b.attributes?.nbf === undefined ? {} : { nbf: b.attributes.nbf }),
        };
        const target = s ?? { versions: [] };
        target.versions.push(v);
        secrets.set(name, target);
        return { status: 200, body: bundle(base, name, v, true) };
      }
      if (third === undefined && method === 'DELETE') {
        if (!live) return notFound();
        const t = now();
        live.deleted = { deletedDate: t, scheduledPurgeDate: t + 90 * 86_400 };
        return { status: 200, body: deletedBundle(base, name, live) };
      }
      if (third === 'versions' && fourth === undefined && method === 'GET') {
        if (!live) return notFound();
        const items = live.versions.map((v) => ({
          id: `${base}/secrets/${name}/${v.id}`,
          attributes: attrs(v),
          ...(v.tags ? { tags: v.tags } : {}),
          ...(v.contentType ? { contentType: v.contentType } : {}),
        }));
        return { status: 200, body: page(items, q, base, `/secrets/${name}/versions`) };
      }
      if (!live) return notFound();
      const version =
        third === undefined || third === '' ? latest(live) : live.versions.find((v) => v.id === third);
      if (!version) return notFound();
      if (method === 'GET') {
        if (!version.enabled) {
          return {
            status: 403,
            body: {
              error: {
                code: 'Forbidden',
                message: 'Operation get is not allowed on a disabled secret.',
                innererror: { code: 'SecretDisabled' },
              },
            },
          };
        }
        return { status: 200, body: bundle(base, name, version, true) };
      }
      if (method === 'PATCH' && third !== undefined) {
        const b = (body ?? {}) as {
          contentType?: string;
          tags?: Record<string, string>;
          attributes?: { enabled?: boolean; exp?: number; nbf?: number };
        };
        if (b.attributes?.enabled !== undefined) version.enabled = b.attributes.enabled;
        if (b.attributes?.exp !== undefined) version.exp = b.attributes.exp;
        if (b.attributes?.nbf !== undefined) version.nbf = b.attributes.nbf;
        if (b.contentType !== undefined) version.contentType = b.contentType;
        if (b.tags !== undefined) version.tags = b.tags;
        version.updated = now();
        return { status: 200, body: bundle(base, name, version, false) };
      }
      return error(405, 'MethodNotAllowed', 'not allowed');
    }
    if (collection === 'deletedsecrets') {
      if (name === undefined && method === 'GET') {
        const items = [...secrets.entries()]
          .filter(([, x]) => x.deleted)
          .map(([n, x]) => {
            const { value: _v, ...rest } = deletedBundle(base, n, x) as Record<string, unknown>;
            return { ...rest, id: `${base}/secrets/${n}` };
          });
        return { status: 200, body: page(items, q, base, '/deletedsecrets') };
      }
      if (name === undefined || !s?.deleted)
        return error(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
      if (third === undefined && method === 'GET') return { status: 200, body: deletedBundle(base, name, s) };
      if (third === undefined && method === 'DELETE') {
        secrets.delete(name);
        return { status: 204 };
      }
      if (third === 'recover' && method === 'POST') {
        delete s.deleted;
        return { status: 200, body: bundle(base, name, latest(s), false) };
      }
    }
    return error(404, 'NotFound', 'no such route');
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const base = `https://${req.headers.host ?? 'localhost'}`;
      const url = new URL(req.url ?? '/', base);
      const auth = req.headers.authorization ?? '';
      const record: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        authorized: /^Bearer \S+/.test(auth),
      };
      requests.push(record);
      let reply: FakeReply;
      if (!record.authorized) {
        reply = {
          status: 401,
          headers: {
            'www-authenticate':
              'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
          },
          body: {
            error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
          },
        };
      } else if (!url.searchParams.get('api-version')) {
        reply = error(400, 'BadParameter', 'api-version is required');
      } else {
        try {
          record.body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
        } catch {
          record.body = undefined;
        }
        const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
        reply =
          fake.override?.(record, base) ?? handle(record.method, parts, url.searchParams, record.body, base);
        reply = fake.rewrite?.(record, reply) ?? reply;
      }
      const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        ...reply.headers,
      });
      res.end(payload);
    });
  };

  const server = createServer({ key: tls.key, cert: tls.cert }, onRequest);
  const host = opts.host ?? 'localhost';
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  server.unref();
  fake.url = `https://${host}:${(server.address() as AddressInfo).port}`;
  return fake;
}
