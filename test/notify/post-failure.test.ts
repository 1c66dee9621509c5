/**
 * A failed webhook POST is recorded with why it failed (shown by `nhi findings` as LAST ERROR):
 * fetch throws TypeError "fetch failed" for every network failure, which said nothing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/lib/secret.js';
import { postWebhook } from '../../src/notify/webhook.js';

const target = (url: string) => ({ url, secret: new SecretValue('webhook-key'), timeoutMs: 2_000 });

describe('webhook POST failures name their cause', () => {
  it('a refused connection names the code and the address, never just "TypeError"', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const r = await postWebhook(target(`http://127.0.0.1:${port}/hook?token=canary-0123`), '{}');
    expect(r).toMatchObject({ ok: false, error: `ECONNREFUSED connect 127.0.0.1:${port}` });
    expect(JSON.stringify(r)).not.toContain('canary-0123');
  });

  it('a port fetch refuses to use says so; a timeout is TimeoutError', async () => {
    expect(await postWebhook(target('http://127.0.0.1:9/hook?token=canary-0123'), '{}')).toEqual({
      ok: false,
      error: 'fetch failed: bad port',
    });
    const slow = createServer(() => undefined);
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const { port } = slow.address() as AddressInfo;
    const r = await postWebhook({ ...target(`http://127.0.0.1:${port}/`), timeoutMs: 200 }, '{}');
    slow.closeAllConnections();
    slow.close();
    expect(r).toEqual({ ok: false, error: 'TimeoutError' });
  });
});
