/**
 * Issue 16: `nhi inventory --json` is one JSON document like every other command
 * ({schemaVersion, identities, count}), written as it streams; `--format ndjson` is one
 * identity per line for jq/SIEM pipelines. Against moto, on a prefix of this suite's own.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inProcessCli, localConfig, scratchDir } from '../runbook/local-app.js';
import { motoSecretsClient } from '../scan/helpers.js';

const prefix = `inv-${randomUUID().slice(0, 8)}/`;
const { dir } = scratchDir('nhi-inventory-');
let config = '';
const nhi = inProcessCli(() => config);

beforeAll(async () => {
  const sm = motoSecretsClient();
  for (const name of ['a', 'b', 'c'])
    await sm.send(
      new CreateSecretCommand({
        Name: `${prefix}${name}`,
        SecretString: `v-${name}`,
        Tags: [{ Key: 'owner', Value: 'alice' }],
      }),
    );
  config = localConfig(dir, 'inventory', { 'aws-local': 'aws-local' });
  const written = JSON.parse(readFileSync(config, 'utf8'));
  written.providers['aws-local'] = {
    ...written.providers['aws-local'],
    kinds: ['secret'],
    secrets: { namePrefix: prefix },
  };
  writeFileSync(config, JSON.stringify(written));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('--json is one versioned document, --format ndjson one identity per line, the same identities', async () => {
  const json = await nhi('--json', 'inventory');
  expect(json.code, json.stderr).toBe(0);
  const doc = JSON.parse(json.stdout) as {
    schemaVersion: number;
    count: number;
    identities: { ref: string; tier: string; owners: string[] }[];
  };
  expect(doc.schemaVersion).toBe(1);
  expect(doc.count).toBe(3);
  expect(doc.identities.map((i) => i.ref).sort()).toEqual(
    ['a', 'b', 'c'].map((n) => `aws-local:secret:${prefix}${n}`),
  );
  expect(doc.identities.every((i) => i.tier === 'standard' && i.owners[0] === 'alice')).toBe(true);

  const nd = await nhi('inventory', '--format', 'ndjson');
  expect(nd.code, nd.stderr).toBe(0);
  const lines = nd.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { ref: string });
  expect(lines.map((l) => l.ref).sort()).toEqual(doc.identities.map((i) => i.ref).sort());

  const bad = await nhi('inventory', '--format', 'yaml');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--format must be table, json or ndjson (got yaml)');
  // An empty estate is still one valid document.
  const empty = JSON.parse(readFileSync(config, 'utf8'));
  empty.providers['aws-local'].secrets.namePrefix = `${prefix}none/`;
  writeFileSync(config, JSON.stringify(empty));
  expect(JSON.parse((await nhi('--json', 'inventory')).stdout)).toEqual({
    schemaVersion: 1,
    identities: [],
    count: 0,
  });
});

it('reads the providers without the state store: none is created, and one it could not open is no obstacle', async () => {
  const written = JSON.parse(readFileSync(config, 'utf8'));
  written.providers['aws-local'].secrets.namePrefix = prefix;
  // A state path no process could open (below a regular file), and a fresh one that does not exist.
  writeFileSync(join(dir, 'not-a-dir'), 'x');
  for (const path of [join(dir, 'not-a-dir', 'state.db'), join(dir, 'never-created.db')]) {
    writeFileSync(config, JSON.stringify({ ...written, state: { path } }));
    const run = await nhi('--json', 'inventory');
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { count: number }).count).toBe(3);
    expect(existsSync(path)).toBe(false);
  }
  // The commands that do need it still say why they cannot go on.
  writeFileSync(config, JSON.stringify({ ...written, state: { path: join(dir, 'not-a-dir', 'state.db') } }));
  const scan = await nhi('scan');
  expect(scan.code).not.toBe(0);
  expect(scan.stderr).toMatch(/not-a-dir/);
});
