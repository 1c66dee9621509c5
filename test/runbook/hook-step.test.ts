import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../../src/runbook/runs.js';
import { createHarness } from './harness.js';

/** A runbook that, after verify, runs a command hook and a webhook hook on the consumer side. */
function runbookDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nhi-hook-rb-'));
  writeFileSync(
    join(dir, 'hooked.json'),
    JSON.stringify({
      id: 'aws-secret-recovery-hooked',
      description: 'recovery that tells the consumer',
      appliesTo: { provider: 'aws', kind: 'secret' },
      order: 'revoke-then-reissue',
      generator: { type: 'password', length: 32 },
      steps: [
        'snapshot',
        'approval',
        'revoke',
        'reissue',
        'verify',
        { type: 'hook', id: 'restart-app', params: { hook: 'restart-app' } },
        { type: 'hook', id: 'tell-app', params: { hook: 'tell-app' } },
      ],
    }),
  );
  return dir;
}

let server: Server;
const received: { body: string; signature: string; timestamp: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      received.push({
        body,
        signature: String(req.headers['x-nhi-signature']),
        timestamp: String(req.headers['x-nhi-timestamp']),
      });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

function hooked(commandOut: string, exitCode = 0) {
  const port = (server.address() as AddressInfo).port;
  const script = `require('fs').writeFileSync(${JSON.stringify(commandOut)}, JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('NHI_'))))); process.exit(${exitCode})`;
  return createHarness({
    runbookDirs: [runbookDir()],
    env: { HOOK_KEY: 'hook-hmac-key' },
    config: {
      hooks: {
        'restart-app': { type: 'command', command: [process.execPath, '-e', script] },
        'tell-app': { type: 'webhook', url: `http://127.0.0.1:${port}/hook`, secret: 'env:HOOK_KEY' },
      },
    },
  });
}

describe('hook step', () => {
  it('tells the consumer where the new credential is (command env, signed webhook) and never passes the value', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nhi-hook-')), 'env.json');
    const h = hooked(out);
    const requestId = await h.approvedRequest('svc/hooked', 'aws-secret-recovery-hooked');
    const run = await startRun(h.deps, { requestId, executor: 'carol' });
    expect(run.status).toBe('completed');
    const newVersion = h.provider.live('svc/hooked')[0];
    const env = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    expect(env).toMatchObject({
      NHI_REF: 'fake:secret:svc/hooked',
      NHI_NEW_VERSION: newVersion?.id,
      NHI_IDEMPOTENCY_KEY: `${run.id}:restart-app`,
    });
    const hook = received.at(-1);
    expect(hook).toBeDefined();
    const expected = `sha256=${createHmac('sha256', 'hook-hmac-key').update(`${hook?.timestamp}.${hook?.body}`).digest('hex')}`;
    expect(hook?.signature).toBe(expected);
    expect(JSON.parse(hook?.body ?? '{}')).toMatchObject({
      ref: 'fake:secret:svc/hooked',
      newVersion: newVersion?.id,
    });
    for (const text of [readFileSync(out, 'utf8'), hook?.body ?? '']) {
      expect(text).not.toContain(newVersion?.value);
      expect(text).not.toContain('old-svc/hooked');
    }
  });

  it('a failing hook leaves the run needing attention, with the old credential still revoked', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nhi-hook-')), 'env.json');
    const h = hooked(out, 3);
    const requestId = await h.approvedRequest('svc/hook-fails', 'aws-secret-recovery-hooked');
    const run = await startRun(h.deps, { requestId, executor: 'carol' });
    expect(run.status).toBe('needs-attention');
    expect(run.error).toContain('restart-app');
    expect(h.provider.secrets.get('svc/hook-fails')?.versions[0]?.enabled).toBe(false);
    expect(await h.store.lineage.forRef('fake:secret:svc/hook-fails')).toHaveLength(1);
  });
});
