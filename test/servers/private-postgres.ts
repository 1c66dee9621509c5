/**
 * A PostgreSQL cluster of one test's own, for what the shared test server must not do: stop.
 * Debian's binaries (as test/servers/servers.sh finds them), initdb'd into a temporary folder,
 * loopback only, trust auth for `nhi`. As root, the cluster runs as the `postgres` user.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PrivatePostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop for good. */
  destroy(): Promise<void>;
}

function pgBin(): string {
  const dirs = [process.env.POSTGRES_BIN ?? '', '/usr/lib/postgresql']
    .flatMap((d) =>
      d.endsWith('postgresql') && existsSync(d) ? readdirSync(d).map((v) => join(d, v, 'bin')) : [d],
    )
    .filter((d) => d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
  const dir = dirs.sort().reverse()[0];
  if (!dir) throw new Error('PostgreSQL binaries not found (Debian: apt-get install postgresql)');
  return dir;
}

/** As root, the uid/gid PostgreSQL runs as (it refuses to run as root). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {}
  }
  throw new Error('running as root and no postgres or nobody user to run PostgreSQL as');
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), 'nhi-pg-'));
  const user = runAs();
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  const data = join(dir, 'data');
  execFileSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'nhi', '--auth=trust', '--encoding=UTF8', '--locale=C'],
    {
      ...ids,
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '' },
    },
  );
  const port = await freePort();
  const url = `postgres://nhi@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | undefined;
  const start = async () => {
    const child = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${dir}`,
      ],
      { ...ids, stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } },
    );
    server = child;
    const end = Date.now() + 20_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode} on start`);
        if (Date.now() > end)
          throw new Error(`private postgres not ready after 20 s: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stop = async () => {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGINT'); // fast shutdown: clients are disconnected, like a database that went away
    await exited;
  };
  await start();
  return {
    url,
    start,
    stop,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
