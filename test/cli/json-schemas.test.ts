/**
 * Issue 16: every `--json` document carries `schemaVersion` and is described by a JSON Schema
 * in docs/json/. Each command runs for real (in process, against the local OpenBao and a real
 * store) and what it printed is validated against its schema with ajv (strict); no schema is
 * left unchecked, and every command of the program says which documents it prints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { Capture } from '../runbook/local-app.js';
import { OPENBAO_ADDR } from '../servers/endpoints.js';
import { referencedFiles, SCHEMA_DIR, schemaChecker } from './json-schema-check.js';
import { bare, dropWorld, makeWorld, seedPasskey, seedRevokedUse, type World } from './json-schema-world.js';

/** Every command that runs (not a group), and the documents its --json prints (docs/json/<kind>.schema.json). */
const JSON_OF: Record<string, string[]> = {
  init: ['init'],
  'config check': ['config-check'],
  inventory: ['inventory'],
  scan: ['scan-report'],
  findings: ['findings'],
  'findings ack': ['finding-ack'],
  serve: [], // runs until stopped; its logs are JSON lines on stderr, not a document
  plan: ['plan', 'plan-view'],
  request: ['request'],
  'request export': ['request-export'],
  run: ['run'],
  resume: ['run'],
  status: ['status', 'status-detail'],
  lineage: ['lineage'],
  approve: ['decision', 'offline-decision'],
  deny: ['decision', 'offline-decision'],
  'approval import': ['decision', 'incident-decision'],
  'incident plan': ['incident-plan'],
  'incident request': ['incident-request'],
  'incident approve': ['incident-decision', 'incident-offline-decision'],
  'incident deny': ['incident-decision', 'incident-offline-decision'],
  'incident export': ['incident-export'],
  'incident exclude': ['incident-exclude'],
  'incident run': ['incident-run'],
  'incident resume': ['incident-run'],
  'incident status': ['incident-list', 'incident-status'],
  'audit verify': ['audit-verify'],
  'audit export': ['audit-export'],
  'db migrate': ['db-migrate'],
  keygen: ['keygen'],
  'policy sign': ['policy-sign'],
  'policy show': ['policy-show'],
  'passkey confirm': ['passkey-confirm'],
  'passkey list': ['passkey-list'],
  'passkey revoke': ['passkey-revoke'],
  completion: [], // a shell script
};
/** What any command prints on stderr when it fails under --json (src/cli/exit.ts errorJson). */
const ANY_COMMAND = ['error'];

const schemas = schemaChecker();
let w: World;

beforeAll(async () => {
  w = await makeWorld();
});
afterAll(() => dropWorld(w));

/** `nhi --config <world> --json WORDS...`: words split on spaces (no value below holds one). */
const json = (line: string) => w.nhi('--json', ...line.split(' '));
const id = (doc: Record<string, unknown>, key = 'id') => doc[key] as string;
const RUNBOOK = '--runbook vault-kv-recovery';

describe('every --json document validates against its schema in docs/json/', () => {
  it('config check, db migrate, policy show / sign, keygen, init, and an error', async () => {
    schemas.stdout('config-check', await json('config check'));
    schemas.stdout('db-migrate', await json('db migrate'));
    schemas.stdout('policy-show', await json('policy show'));
    schemas.stdout('policy-sign', await json(`policy sign --as sec-oncall --key ${w.key('sec-oncall')}`));
    schemas.stdout('keygen', await bare('--json', 'keygen', '--out', join(w.dir, 'keys', 'dave')));
    const init = `--json init --dir ${join(w.dir, 'init')} --provider vault --vault-addr ${OPENBAO_ADDR} --owner alice`;
    schemas.stdout('init', await bare(...init.split(' ')));
    const missing = await json('status req_nope');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    schemas.check('error', JSON.parse(missing.stderr));
  });

  it('inventory (json and ndjson), scan --format json, findings and findings ack', async () => {
    expect(schemas.stdout('inventory', await json('inventory')).count).toBe(5);
    const lines = (await w.nhi('inventory', '--format', 'ndjson')).stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines) schemas.check('inventory', JSON.parse(line), '/$defs/identity');

    const report = await w.nhi('scan', '--format', 'json', '--no-alert');
    expect(report.code, report.stderr).toBe(0);
    schemas.check('scan-report', JSON.parse(report.stdout));
    const findings = schemas.stdout('findings', await json('findings'));
    expect(findings.findings).toContainEqual(
      expect.objectContaining({ type: 'orphaned', ref: w.ref('orphan') }),
    );

    const revoked = await seedRevokedUse(w, w.ref('std-d'));
    const ack = `findings ack ${revoked} --as alice --reason INC-1 --key ${w.key('alice')}`;
    schemas.stdout('finding-ack', await json(ack));
  });

  it('plan (signed and readable), request, approve, run, status, status <id>, lineage', async () => {
    const ref = w.ref('std-a');
    schemas.stdout('plan', await json(`plan ${ref} ${RUNBOOK}`));
    schemas.stdout('plan-view', await w.nhi(...`plan ${ref} ${RUNBOOK} --format json`.split(' ')));
    const req = schemas.stdout(
      'request',
      await json(`request ${ref} ${RUNBOOK} --reason INC-2 --as carol --key ${w.key('carol')}`),
    );
    const approve = `approve ${id(req)} --as alice --key ${w.key('alice')} --digest ${id(req, 'planDigest')}`;
    schemas.stdout('decision', await json(approve));
    const run = schemas.stdout('run', await json(`run ${id(req)} --as carol --key ${w.key('carol')}`));
    expect(run.status).toBe('completed');
    schemas.stdout('status', await json('status'));
    schemas.stdout('status-detail', await json(`status ${id(req)}`));
    schemas.stdout('status-detail', await json(`status ${id(run)}`));
    expect(schemas.stdout('lineage', await json(`lineage ${ref}`)).lineage).toHaveLength(1);
    schemas.stdout('lineage', await w.nhi('lineage', ref, '--format', 'json'));
  });

  it('request export, approve --request-file (offline), approval import', async () => {
    const req = schemas.stdout(
      'request',
      await json(`request ${w.ref('std-d')} ${RUNBOOK} --reason INC-3 --as carol`),
    );
    const out = join(w.dir, 'req.json');
    schemas.stdout('request-export', await json(`request export ${id(req)} --out ${out}`));
    const decision = join(w.dir, 'decision.json');
    const offline = `--json approve --request-file ${out} --as alice --key ${w.key('alice')} --digest ${id(req, 'planDigest')}`;
    schemas.stdout('offline-decision', await bare(...`${offline} --out ${decision}`.split(' ')));
    schemas.stdout('decision', await json(`approval import ${decision}`));
  });

  it('incident plan, request, exclude, export, offline approve, import, run, status', async () => {
    const select = `--select ref:${w.ref('inc-*')}`;
    const plan = schemas.stdout('incident-plan', await json(`incident plan ${select}`));
    const filed = `incident request ${select} --reason INC-4 --as carol --digest ${id(plan, 'digest')}`;
    const inc = id(schemas.stdout('incident-request', await json(filed)).incident as Record<string, unknown>);
    const exclude = `incident exclude ${inc} ${w.ref('inc-c')} --as carol --reason rotated-by-hand`;
    schemas.stdout('incident-exclude', await json(exclude));
    const share = join(w.dir, 'share.json');
    const exported = schemas.stdout(
      'incident-export',
      await json(`incident export ${inc} --as alice --out ${share}`),
    );
    const decision = join(w.dir, 'incident-decision.json');
    const offline = `--json incident approve --request-file ${share} --as alice --key ${w.key('alice')}`;
    const signed = await bare(
      ...`${offline} --digest ${id(exported, 'incidentDigest')} --out ${decision}`.split(' '),
    );
    schemas.stdout('incident-offline-decision', signed);
    schemas.stdout('incident-decision', await json(`approval import ${decision}`));
    const ran = schemas.stdout(
      'incident-run',
      await json(`incident run ${inc} --as carol --key ${w.key('carol')}`),
    );
    expect(ran.results).toContainEqual(expect.objectContaining({ outcome: 'completed' }));
    schemas.stdout('incident-status', await json(`incident status ${inc}`));
    schemas.stdout('incident-list', await json('incident status'));
  });

  it('passkey confirm, list, revoke', async () => {
    const cred = await seedPasskey(w);
    schemas.stdout('passkey-confirm', await json(`passkey confirm alice --key ${w.key('alice')} -- ${cred}`));
    const list = schemas.stdout('passkey-list', await json('passkey list'));
    expect(list.passkeys).toContainEqual(expect.objectContaining({ credentialId: cred, status: 'active' }));
    schemas.stdout('passkey-revoke', await json(`passkey revoke --as alice --reason lost -- ${cred}`));
  });

  it('audit verify (store and export file) and audit export, after everything above', async () => {
    expect(schemas.stdout('audit-verify', await json('audit verify')).ok).toBe(true);
    const out = join(w.dir, 'audit.jsonl');
    schemas.stdout('audit-export', await json(`audit export --out ${out}`));
    schemas.stdout('audit-verify', await json(`audit verify --export ${out}`));
  });
});

describe('docs/json/ and the program agree', () => {
  it('every schema file was validated against real output above, or is $ref-ed by one that was', () => {
    const used = new Set(schemas.used);
    for (const kind of schemas.used) for (const f of referencedFiles(schemas.schemas.get(kind))) used.add(f);
    expect([...schemas.schemas.keys()].filter((k) => !used.has(k))).toEqual([]);
  });

  it('every command of the program is listed with its documents, and each document has a schema', async () => {
    const program = await buildProgram({ stdout: new Capture(), stderr: new Capture(), env: {} }, '*');
    const runnable: string[] = [];
    const walk = (cmd: Command, path: string[]) => {
      for (const sub of cmd.commands) {
        const p = [...path, sub.name()];
        if ((sub as unknown as { _actionHandler?: unknown })._actionHandler) runnable.push(p.join(' '));
        walk(sub, p);
      }
    };
    walk(program, []);
    expect(runnable.sort()).toEqual(Object.keys(JSON_OF).sort());
    const kinds = new Set([...Object.values(JSON_OF).flat(), ...ANY_COMMAND]);
    expect([...kinds].filter((k) => !schemas.schemas.has(k))).toEqual([]);
    expect([...schemas.used].filter((k) => !kinds.has(k))).toEqual([]);
  });

  it('the README lists every schema file', () => {
    const readme = readFileSync(join(SCHEMA_DIR, 'README.md'), 'utf8');
    expect([...schemas.schemas.keys()].filter((k) => !readme.includes(`${k}.schema.json`))).toEqual([]);
  });
});
