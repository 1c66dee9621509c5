/**
 * Issue 10: the webhook witness against a local HTTP receiver on 127.0.0.1. The receiver checks
 * the HMAC (X-Nhi-Signature over `${timestamp}.${body}`, as for notifications), appends each body
 * to its JSONL log and serves that log; `nhi audit verify --witness` reads either. A rolled-back
 * checkpoint never reaches it, and a receiver that is down loses nothing.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { SecretValue } from '../../src/lib/secret.js';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  signWebhookBody,
  TIMESTAMP_HEADER,
} from '../../src/notify/webhook.js';
import { localConfig, scratchDir } from '../runbook/local-app.js';
import { nhi, truncateAfter } from './tamper.js';

const HMAC_KEY = `witness-hmac-${randomUUID()}`;
let server: Server;
let url: string;
let status = 200;
const logs = new Map<string, string>();
const received: { path: string; delivery: string; signed: boolean; accepted: boolean; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (req.method === 'GET') {
        const log = logs.get(path.replace(/\/log$/, ''));
        res
          .writeHead(log === undefined ? 404 : 200, { 'content-type': 'application/x-ndjson' })
          .end(log ?? '');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers[TIMESTAMP_HEADER]);
      const signed = req.headers[SIGNATURE_HEADER] === signWebhookBody(new SecretValue(HMAC_KEY), ts, body);
      const accepted = status === 200 && signed;
      received.push({ path, delivery: String(req.headers[DELIVERY_HEADER]), signed, accepted, body });
      if (!accepted) {
        res.writeHead(signed ? status : 401).end();
        return;
      }
      const file = logs.get(`${path}#file`) as string;
      appendFileSync(file, `${body}\n`);
      logs.set(path, `${logs.get(path) ?? ''}${body}\n`);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function scenario(name: string) {
  const scratch = scratchDir(`nhi-witness-hook-${name}-`);
  const path = `/receiver/${name}`;
  const receiverLog = join(mkdtempSync(join(tmpdir(), 'nhi-receiver-')), 'received.jsonl');
  writeFileSync(receiverLog, '');
  logs.set(`${path}#file`, receiverLog);
  writeFileSync(join(scratch.dir, 'witness-hmac'), HMAC_KEY, { mode: 0o600 });
  const config = localConfig(
    scratch.dir,
    name,
    { 'vault-test': 'vault-local' },
    {
      audit: {
        witnesses: [
          {
            type: 'webhook',
            name: 'receiver',
            url: `${url}${path}`,
            secret: `file:${join(scratch.dir, 'witness-hmac')}`,
          },
        ],
      },
    },
  );
  return { config, db: join(scratch.dir, `${name}.db`), path, receiverLog };
}

async function record(config: string, types: string[], opts: { rollBackLast?: boolean } = {}): Promise<void> {
  const app = await createApp({ configPath: config, env: {} });
  try {
    for (const [i, type] of types.entries()) {
      const last = i === types.length - 1;
      await app.store
        .transaction(async (tx) => {
          await app.audit.record(tx.audit, { type, actor: 'alice', subject: `req-${i}`, data: { i } });
          if (last && opts.rollBackLast) throw new Error('provider call failed');
        })
        .catch((error: Error) => {
          if (!(last && opts.rollBackLast)) throw error;
        });
    }
  } finally {
    await app.close();
  }
}

const bodiesFor = (path: string) =>
  received
    .filter((r) => r.path === path && r.accepted)
    .map((r) => JSON.parse(r.body) as { seq: number; kind: string });

describe('webhook witness (local receiver)', () => {
  it('POSTs every committed checkpoint HMAC-signed, never a rolled-back one; verify reads the receiver log', async () => {
    const s = scenario('deliver');
    await record(s.config, ['scan.completed', 'x', 'approval.refused', 'scan.failed'], {
      rollBackLast: true,
    });
    expect(bodiesFor(s.path).map((b) => [b.kind, b.seq])).toEqual([
      ['nhi-audit-checkpoint', 1],
      ['nhi-audit-checkpoint', 3],
    ]);
    const mine = received.filter((r) => r.path === s.path && r.accepted);
    expect(mine.every((r) => r.signed)).toBe(true);
    expect(mine.map((r) => r.delivery)).toEqual(['nhi-audit-checkpoint-1', 'nhi-audit-checkpoint-3']);
    // The rolled-back scan.failed took seq 4 in its transaction; the next commit reuses it.
    await record(s.config, ['resume.refused']);
    expect(bodiesFor(s.path).map((b) => b.seq)).toEqual([1, 3, 4]);

    for (const source of [`file:${s.receiverLog}`, `${url}${s.path}/log`]) {
      const ok = await nhi(s.config, '--json', 'audit', 'verify', '--witness', source);
      expect(ok.code, ok.stdout).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({
        ok: true,
        witnesses: [{ ok: true, records: 3, newestWitnessedSeq: 4 }],
      });
    }
    const named = await nhi(s.config, 'audit', 'verify', '--witness', 'receiver');
    expect(named.code).toBe(2);
    expect(named.stderr).toContain('is a webhook: nhi cannot read it back');

    truncateAfter(s.db, 3);
    const bad = await nhi(s.config, 'audit', 'verify', '--witness', `${url}${s.path}/log`);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/truncated: .*signed at seq 4, but the store ends at seq 3/);
  });

  it('a receiver that is down loses nothing: the failure is recorded, redacted, and retried later', async () => {
    const s = scenario('down');
    status = 503;
    try {
      await record(s.config, ['scan.completed', 'x', 'scan.interrupted']);
    } finally {
      status = 200;
    }
    expect(bodiesFor(s.path)).toEqual([]);
    const pending = await nhi(s.config, '--json', 'audit', 'verify');
    expect(pending.code).toBe(0);
    const [delivery] = JSON.parse(pending.stdout).witnessDelivery;
    expect(delivery).toMatchObject({ name: 'receiver', type: 'webhook', newestCheckpointSeq: 3 });
    expect(delivery.lastError).toBe('webhook witness not accepted (HTTP 503)');
    expect(pending.stdout + pending.stderr).not.toContain(HMAC_KEY);
    // That verify ended by publishing: the receiver is up again, so the pending checkpoints went out.
    expect(bodiesFor(s.path).map((b) => b.seq)).toEqual([1, 3]);
    const ok = await nhi(s.config, '--json', 'audit', 'verify', '--witness', `file:${s.receiverLog}`);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      ok: true,
      witnesses: [{ ok: true, records: 2 }],
      witnessDelivery: [{ deliveredSeq: 3, failures: 0 }],
    });
  });
});
