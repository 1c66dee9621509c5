/**
 * Issue 11 item 6: a Vault error text that echoed the request body put the generated password
 * into stdout, the audit log, the run error and a webhook. Provider errors are scrubbed of every
 * value in flight: by the adapter at its error boundary (here the real Vault HTTP client and
 * session against a local server that echoes bodies in its errors, as a hostile or buggy Vault
 * might) and again by the executor for everything the step registered.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeVaultHttp } from '../../providers/vault/client.js';
import { VaultSession } from '../../providers/vault/session.js';
import { ProviderError } from '../../src/lib/errors.js';
import { InFlightSecrets, scrubError } from '../../src/lib/scrub.js';
import { SecretValue } from '../../src/lib/secret.js';
import { createMemoryLogger } from '../../src/log.js';
import { startRun } from '../../src/runbook/runs.js';
import { createHarness } from '../runbook/harness.js';

const CANARY = `canary${randomBytes(8).toString('hex')}`;
let server: Server;
let address: string;
const received: string[] = [];

beforeAll(async () => {
  // Answers every request 400 with the request body and token quoted in the error text.
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push(body);
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [`invalid request ${body} token=${req.headers['x-vault-token']}`] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const everything = (e: unknown): string => {
  const parts: string[] = [];
  for (let x = e, i = 0; x && i < 8; x = (x as Error).cause, i++)
    parts.push(String((x as Error).message), String((x as Error).stack), JSON.stringify(x));
  return parts.join('\n');
};

describe('provider errors carry no value in flight (issue 11 item 6)', () => {
  it('vault: an error that echoes the body and the token names neither', async () => {
    const session = new VaultSession({
      http: createNodeVaultHttp({ address, timeoutMs: 2_000 }),
      auth: { method: 'token', token: new SecretValue(`${CANARY}-token`) },
      logger: createMemoryLogger('warn').logger,
      readsPerSecond: 100,
      writesPerSecond: 100,
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const error = await session
      .write('kv write', {
        method: 'POST',
        path: '/secret/data/svc',
        json: { data: { password: `${CANARY}-pw` } },
      })
      .catch((e: unknown) => e);
    expect(received.at(-1)).toContain(`${CANARY}-pw`); // the server did see it
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).status).toBe(400);
    expect((error as Error).message).toContain('[redacted]');
    expect(everything(error)).not.toContain(CANARY);
  });

  it('scrubError removes raw, JSON-escaped and URL-encoded forms from message, stack, causes and context', () => {
    const value = new SecretValue(`${CANARY}/"x"`);
    const inner = new Error(`body=${encodeURIComponent(value.reveal())}`);
    const error = new ProviderError(`said ${JSON.stringify(value.reveal())}`, {
      cause: inner,
      context: { said: value.reveal() },
    });
    expect(everything(scrubError(error, [value]))).not.toContain(CANARY);
    expect(error.context.said).toBe('[redacted]');
  });

  it('executor: a step error echoing the new value reaches no run error, audit entry, log or webhook', async () => {
    const h = createHarness();
    const requestId = await h.approvedRequest('svc/echo');
    h.provider.reissue = async (_ref, ctx) => {
      const value = new SecretValue(`${CANARY}-generated`);
      ctx.inFlight?.add(value);
      throw new ProviderError(`provider said: bad value ${value.reveal()}`, { retryable: false });
    };
    const run = await startRun(h.deps, { requestId, executor: 'carol' });
    expect(run.status).toBe('needs-attention');
    expect(run.error).toContain('[redacted]');
    const stored = [
      JSON.stringify(await h.store.runs.get(run.id)),
      JSON.stringify(await h.store.runs.steps(run.id)),
      JSON.stringify(await h.store.deliveries.list()),
    ];
    for await (const entry of h.store.audit.entries()) stored.push(JSON.stringify(entry));
    expect([...stored, h.logs()].join('\n')).not.toContain(CANARY);
  });

  it('InFlightSecrets ignores unresolved references', () => {
    const s = new InFlightSecrets();
    s.add(SecretValue.reference('env:X'), undefined, 'abc');
    expect(s.values()).toEqual(['abc']);
  });
});
