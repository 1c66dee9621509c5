/**
 * The approval page for real: the approval world's config, keys and SQLite store
 * (test/approval/fixture.ts), the page on 127.0.0.1 reached as http://localhost (a passkey's
 * relying party must be a host name), a real OIDC provider on loopback, and a clock the test
 * moves forward (session expiry, the hold).
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ownerRegistryFromConfig } from '../../src/approval/owners/owner-registry.js';
import { AuditLog } from '../../src/audit/log.js';
import { runCli } from '../../src/cli/program.js';
import { parseConfig } from '../../src/config/load.js';
import { httpSchema, oidcSchema } from '../../src/config/web-schema.js';
import { createMemoryLogger } from '../../src/log.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RecoveryRequest } from '../../src/store/types.js';
import { type ApprovalServer, startApprovalServer } from '../../src/web/server.js';
import { recordingNotifier, requestFixture, textSink, writeWorldFiles } from '../approval/fixture.js';
import { OIDC_CLIENT_SECRET, startIdp, type TestIdp } from './idp.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startWebWorld(opts: { idleMinutes?: number; signInPerMinute?: number } = {}) {
  const files = writeWorldFiles();
  const config = parseConfig(files.rawConfig, { sourcePath: files.configPath, env: files.env });
  const store = openSqliteStore(join(files.dir, 'state', 'nhi.db'));
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  const audit = new AuditLog(
    { privateKey: files.auditKeys.privateKey, publicKey: files.auditKeys.publicKey },
    { now },
  );
  const memory = createMemoryLogger();
  const registry = ownerRegistryFromConfig(config);
  const port = await freePort();
  const publicUrl = `http://localhost:${port}`;
  const idp: TestIdp = await startIdp(`${publicUrl}/auth/callback`);
  const oidc = oidcSchema.parse({
    issuer: idp.issuer,
    clientId: 'nhi-approvals',
    clientSecret: 'env:NHI_OIDC_SECRET',
  });
  oidc.clientSecret.resolveWith(OIDC_CLIENT_SECRET);
  const http = httpSchema.parse({
    listen: `127.0.0.1:${port}`,
    publicUrl,
    session: { idleMinutes: opts.idleMinutes ?? 15, absoluteHours: 8 },
    rateLimits: { signInPerMinute: opts.signInPerMinute ?? 60, decisionsPerMinute: 60 },
  });
  const notifier = recordingNotifier();
  const server: ApprovalServer = await startApprovalServer({
    config: { ...config, http, oidc },
    store,
    audit,
    notifier,
    logger: memory.logger,
    now,
    registry,
  });
  return {
    ...files,
    config,
    store,
    audit,
    registry,
    notifier,
    logs: memory,
    publicUrl,
    idp,
    now,
    advance(ms: number) {
      offsetMs += ms;
    },
    /** A pending request over a real plan, filed by carol now (times on the test clock). */
    async insertRequest(o: Partial<RecoveryRequest> = {}): Promise<RecoveryRequest> {
      const t = now();
      const request = requestFixture({
        createdAt: t.toISOString(),
        updatedAt: t.toISOString(),
        expiresAt: new Date(t.getTime() + 24 * 3_600_000).toISOString(),
        ...o,
      });
      await store.requests.insert(request);
      return request;
    },
    async close() {
      await server.close();
      await idp.close();
      await store.close();
    },
  };
}

export type WebWorld = Awaited<ReturnType<typeof startWebWorld>>;

/** Run `nhi` in-process as a terminal user of this world (withConfig false: a laptop with no config). */
export async function worldCli(
  w: Pick<WebWorld, 'configPath' | 'env'>,
  args: string[],
  withConfig = true,
): Promise<{ code: number; out: string; err: string }> {
  const stdout = textSink();
  const stderr = textSink();
  const code = await runCli([...(withConfig ? ['--config', w.configPath] : []), ...args], {
    stdout,
    stderr,
    env: { ...w.env },
  });
  return { code, out: stdout.text(), err: stderr.text() };
}
