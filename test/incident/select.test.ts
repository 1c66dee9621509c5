/**
 * Blast-radius selection (src/incident/select.ts, select-walk.ts): the selector grammar and its
 * errors, and the walk through a real app's providers over identities seeded in moto, OpenBao
 * and the local Key Vault, so every term meets records exactly as the adapters shape them.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { parseSelectors, type SelectionMatch } from '../../src/incident/select.js';
import { holdsFingerprint, matchIdentity } from '../../src/incident/select-match.js';
import {
  forEachSelected,
  type SelectionOptions,
  type SelectionSummary,
  walkSelection,
} from '../../src/incident/select-walk.js';
import { UsageError } from '../../src/lib/errors.js';
import { parseRef } from '../../src/lib/ref.js';
import type { IdentityRecord } from '../../src/provider.js';
import { motoClientConfig } from '../providers/aws.fixture.js';
import { azureTarget, fixtureClient } from '../providers/azure.fixture.js';
import { vaultApi } from '../providers/vault.fixture.js';
import { localConfig, scratchDir } from '../runbook/local-app.js';
import { motoSecretsClient } from '../scan/helpers.js';

const sfx = randomUUID().slice(0, 8);
const P = `sel${sfx}-`; // aws secret names (the instance lists only this prefix)
const MOUNT = `sel-${sfx}`; // a kv-v2 mount of this suite's own
const IAM_PATH = `/sel${sfx}/`;
const USER = `sel${sfx}-ci`;
const AZ = `sel${sfx}-ci`;
/** The leaked value: must come out of nothing (matches, summaries, errors, logs). */
const LEAKED = `leaked-${randomUUID()}`;

const A1 = `aws-x:secret:${P}inc-db`; // owner alice, ci-system=jenkins
const A2 = `aws-x:secret:${P}inc-api`; // owner team payments, ci-system=github; held LEAKED (lineage)
const A3 = `aws-x:secret:${P}other`; // owner carol, tier=privileged
const V1 = `vault-x:kv:${MOUNT}/ci/deploy`; // owner bob, ci-system=jenkins
const V2 = `vault-x:kv:${MOUNT}/prod/root`; // owner sec-oncall, privileged by ref pattern
const Z1 = `azure-x:secret:${AZ}`; // owner alice, ci-system=jenkins
let K1: string; // iam-key of USER (owner bob, ci-system=jenkins), used once
let K2: string; // its second key, never used
const ROTATED = `aws-x:secret:${P}rotated-away`; // lineage only: held LEAKED, gone from AWS

let app: App;
let dir: string;
const sm = motoSecretsClient();
const iam = new IAMClient(motoClientConfig());
const keyIds: string[] = [];
/** Everything the suite got out of the code under test, checked for the leaked value at the end. */
const outputs: string[] = [];

beforeAll(async () => {
  dir = scratchDir('nhi-select-').dir;
  const configPath = localConfig(
    dir,
    'select',
    { 'vault-x': 'vault-local', 'aws-x': 'aws-local', 'azure-x': 'azure-local' },
    {
      tiers: {
        privileged: {
          tags: { tier: 'privileged' },
          refPatterns: [`vault-x:kv:${MOUNT}/prod/*`],
          builtinRules: true,
        },
      },
    },
  );
  // Provider blocks are outside the signed policy: confine them to what this suite seeds.
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  Object.assign(config.providers['vault-x'], { kinds: ['kv'], kv: { mounts: [MOUNT] } });
  Object.assign(config.providers['aws-x'], {
    kinds: ['secret', 'iam-key'],
    secrets: { namePrefix: P },
    iam: { pathPrefix: IAM_PATH },
  });
  writeFileSync(configPath, JSON.stringify(config));

  const secret = (name: string, value: string, tags: Record<string, string>) =>
    sm.send(
      new CreateSecretCommand({
        Name: `${P}${name}`,
        SecretString: value,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  await secret('inc-db', 'db-value', { owner: 'alice', 'ci-system': 'jenkins' });
  await secret('inc-api', 'api-value', { owner: 'payments', 'ci-system': 'github' });
  await secret('other', 'other-value', { owner: 'carol', tier: 'privileged' });

  await iam.send(
    new CreateUserCommand({
      UserName: USER,
      Path: IAM_PATH,
      Tags: [
        { Key: 'owner', Value: 'bob' },
        { Key: 'ci-system', Value: 'jenkins' },
      ],
    }),
  );
  const used = (await iam.send(new CreateAccessKeyCommand({ UserName: USER }))).AccessKey;
  const unused = (await iam.send(new CreateAccessKeyCommand({ UserName: USER }))).AccessKey;
  keyIds.push(used?.AccessKeyId as string, unused?.AccessKeyId as string);
  K1 = `aws-x:iam-key:${USER}/${used?.AccessKeyId}`;
  K2 = `aws-x:iam-key:${USER}/${unused?.AccessKeyId}`;
  // A request signed with the key is what moto (and IAM) records as its last use.
  await new SecretsManagerClient(
    motoClientConfig(used?.AccessKeyId as string, used?.SecretAccessKey as string),
  ).send(new ListSecretsCommand({ MaxResults: 1 }));

  expect(
    (await vaultApi('POST', `sys/mounts/${MOUNT}`, { type: 'kv', options: { version: '2' } })).status,
  ).toBe(204);
  const kv = async (path: string, value: string, custom: Record<string, string>) => {
    expect((await vaultApi('POST', `${MOUNT}/data/${path}`, { data: { value } })).status).toBe(200);
    expect((await vaultApi('POST', `${MOUNT}/metadata/${path}`, { custom_metadata: custom })).status).toBe(
      204,
    );
  };
  await kv('ci/deploy', 'deploy-value', { owner: 'bob', 'ci-system': 'jenkins' });
  await kv('prod/root', 'root-value', { owner: 'sec-oncall' });

  await fixtureClient(await azureTarget()).setSecret(AZ, 'az-value', {
    tags: { owner: 'alice', 'ci-system': 'jenkins' },
  });

  app = await createApp({ configPath });
  // What nhi recorded when it recovered A2 (old version held LEAKED) and ROTATED (issued LEAKED),
  // and an unrelated record that must not be picked up.
  const lineage = (id: string, ref: string, oldFp: string | undefined, newFp: string) => ({
    id,
    ref,
    runId: `run-${id}`,
    requestId: `req-${id}`,
    reason: 'test',
    requester: 'carol',
    approvers: ['alice'],
    executor: 'carol',
    oldVersions: [{ versionId: 'v-old', ...(oldFp ? { fingerprint: oldFp } : {}) }],
    newVersion: { versionId: 'v-new', fingerprint: newFp, issuedAt: new Date().toISOString() },
    proofRef: 'proof',
    breakGlass: false,
    createdAt: new Date().toISOString(),
  });
  await app.store.transaction(async (tx) => {
    await tx.lineage.insert(lineage('l1', A2, app.fingerprint(LEAKED), app.fingerprint('api-value')));
    await tx.lineage.insert(lineage('l2', ROTATED, undefined, app.fingerprint(LEAKED)));
    await tx.lineage.insert(lineage('l3', A3, app.fingerprint('x'), app.fingerprint('other-value')));
  });
});

afterAll(async () => {
  await app?.close();
  for (const name of ['inc-db', 'inc-api', 'other'])
    await sm
      .send(new DeleteSecretCommand({ SecretId: `${P}${name}`, ForceDeleteWithoutRecovery: true }))
      .catch(() => undefined);
  for (const id of keyIds)
    await iam.send(new DeleteAccessKeyCommand({ UserName: USER, AccessKeyId: id })).catch(() => undefined);
  await iam.send(new DeleteUserCommand({ UserName: USER })).catch(() => undefined);
  await vaultApi('DELETE', `sys/mounts/${MOUNT}`);
  const az = fixtureClient(await azureTarget());
  await (await az.beginDeleteSecret(AZ, { intervalInMs: 20 })).pollUntilDone().catch(() => undefined);
  await az.purgeDeletedSecret(AZ).catch(() => undefined);
});

const parse = (exprs: string[]) => parseSelectors(exprs, { config: app.config, baseDir: dir });

async function select(exprs: string[], opts: SelectionOptions = {}) {
  const matches: SelectionMatch[] = [];
  const summary: SelectionSummary = await forEachSelected(app, parse(exprs), opts, (m) => {
    matches.push(m);
  });
  outputs.push(JSON.stringify({ matches, summary }));
  return { refs: matches.map((m) => m.record.ref), matches, summary };
}

/** This suite's refs only: the Key Vault is shared with other suites (whose owners are alice too). */
const mine = (refs: string[]) => refs.filter((r) => r.includes(sfx));
const sorted = (refs: string[]) => [...refs].sort();

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    outputs.push((error as Error).message);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('selector parsing', () => {
  it('trims terms, keeps one selector per --select, and refuses every malformed term precisely', () => {
    expect(parse([' tag:ci-system=jenkins ,  kind:secret ', 'owner:alice'])).toEqual([
      {
        text: 'tag:ci-system=jenkins,kind:secret',
        terms: [
          { name: 'tag', value: 'ci-system=jenkins', text: 'tag:ci-system=jenkins' },
          { name: 'kind', value: 'secret', text: 'kind:secret' },
        ],
      },
      { text: 'owner:alice', terms: [{ name: 'owner', value: 'alice', text: 'owner:alice' }] },
    ]);
    const names = 'tag, ref, provider, type, kind, owner, team, tier, used-after, refs-file';
    const cases: [string, string][] = [
      ['', 'empty selector; expected TERM[,TERM...], e.g. tag:ci-system=jenkins,kind:secret'],
      ['tag:a=b,,kind:kv', 'term 2 of 3 is empty (terms are separated by single commas)'],
      ['tga:x=y', `unknown term "tga" (did you mean "tag"?); one of: ${names} (a term is NAME:VALUE)`],
      [
        'ci-system=jenkins',
        `unknown term "ci-system=jenkins"; one of: ${names}; for a tag, write tag:ci-system=jenkins`,
      ],
      ['kind:kv,owner', 'term "owner" needs a value: owner:PRINCIPAL'],
      ['tag:=x', 'term "tag:=x" needs a tag key: tag:KEY=VALUE or tag:KEY'],
      [
        'provider:aws-y',
        'unknown provider instance "aws-y" (did you mean "aws-x"?); one of: vault-x, aws-x, azure-x',
      ],
      ['type:gcp', 'unknown provider type "gcp"; one of: vault, aws, azure'],
      [
        'kind:secrets',
        'unknown credential kind "secrets" (did you mean "secret"?); one of: kv, approle, token, entity, secret, iam-key',
      ],
      [
        'owner:alise',
        'unknown principal "alise" (did you mean "alice"?); one of: alice, bob, carol, sec-oncall',
      ],
      ['team:payment', 'unknown team "payment" (did you mean "payments"?); one of: payments, security'],
      ['tier:admin', 'unknown tier "admin"; one of: standard, privileged'],
      [
        'ref:aws-y:secret:*',
        'ref glob "aws-y:secret:*" names provider instance "aws-y", which is not in config (did you mean "aws-x"?); configured: vault-x, aws-x, azure-x',
      ],
      ['ref:aws-x', 'ref glob "aws-x" can match no ref: expected <instance>:<kind>:<locator> with * and ?'],
    ];
    for (const date of ['2024-02-30', 'yesterday', '2024-05-01T12:00:00', '2024-05-01T24:00Z'])
      cases.push([
        `used-after:${date}`,
        `invalid date "${date}" for used-after: expected YYYY-MM-DD or an ISO-8601 date-time with a zone, e.g. 2024-05-01 or 2024-05-01T12:00:00Z`,
      ]);
    for (const [expr, problem] of cases)
      expect(usageError(() => parse(['owner:bob', expr]))).toBe(
        `--select ${JSON.stringify(expr)}: ${problem}`,
      );
  });

  it('refs-file: read at parse time, comments and blank lines skipped, each line a ref (FILE:LINE)', () => {
    writeFileSync(join(dir, 'bad.txt'), `# INC-7\n${A1}\n\nnot-a-ref\n`);
    writeFileSync(join(dir, 'empty.txt'), '# nothing yet\n\n');
    writeFileSync(join(dir, 'ok.txt'), `# INC-7\n${A1}   # the db\r\n\n${V1}\n${A1}\n`);
    expect(usageError(() => parse(['refs-file:bad.txt']))).toBe(
      '--select "refs-file:bad.txt": refs-file bad.txt:4: invalid identity ref "not-a-ref": expected <provider-instance>:<kind>:<locator>, e.g. aws-prod:secret:payments/db',
    );
    expect(usageError(() => parse(['refs-file:empty.txt']))).toBe(
      '--select "refs-file:empty.txt": refs-file empty.txt lists no ref',
    );
    expect(usageError(() => parse(['refs-file:nope.txt']))).toBe(
      `--select "refs-file:nope.txt": refs-file nope.txt: cannot read ${join(dir, 'nope.txt')} (ENOENT)`,
    );
    expect(parse(['refs-file:ok.txt'])[0]?.terms[0]?.refs).toEqual([A1, V1]);
    // The injected reader gets the path resolved against baseDir.
    const read: string[] = [];
    parseSelectors(['refs-file:sub/list'], {
      config: app.config,
      baseDir: '/incident',
      readFile: (p) => {
        read.push(p);
        return `${A2}\n`;
      },
    });
    expect(read).toEqual(['/incident/sub/list']);
  });

  it('nothing to select is a usage error, and the walk never echoes what it was given for a fingerprint', async () => {
    await expect(walkSelection(app, [], {}).next()).rejects.toThrow(
      new UsageError('nothing to select: give --select EXPR (one or more), --value-stdin, or both'),
    );
    const err = await walkSelection(app, [], { valueFingerprint: LEAKED })
      .next()
      .catch((e: Error) => e);
    expect((err as Error).message).toBe('walkSelection: valueFingerprint is not an hmac-sha256 fingerprint');
    outputs.push((err as Error).message);
  });
});

describe('selection against the local servers', () => {
  it('each term selects exactly what it names; terms of one --select are ANDed', async () => {
    const jenkins = await select(['tag:ci-system=jenkins']);
    // (The Key Vault is shared: another run's secrets with the same tag may be listed too.)
    expect(sorted(mine(jenkins.refs))).toEqual(sorted([V1, A1, K1, K2, Z1]));
    expect(jenkins.summary).toMatchObject({ walked: ['vault-x', 'aws-x', 'azure-x'], missing: [] });
    // Instances in config order.
    const order = jenkins.refs.map((r) => ['vault-x', 'aws-x', 'azure-x'].indexOf(parseRef(r).instance));
    expect(order).toEqual([...order].sort());
    expect(jenkins.matches.find((m) => m.record.ref === A1)).toMatchObject({
      owners: ['alice'],
      tier: 'standard',
      tierReason: null,
      matched: ['tag:ci-system=jenkins'],
    });

    expect(sorted((await select(['tag:ci-system=jenkins,kind:secret'])).refs)).toEqual(sorted([A1, Z1]));
    expect(sorted((await select(['tag:ci-system'])).refs)).toEqual(sorted([V1, A1, A2, K1, K2, Z1]));
    // type:/provider:/ref: with a literal instance confine the walk to those instances.
    const aws = await select(['tag:ci-system=jenkins,type:aws']);
    expect(sorted(aws.refs)).toEqual(sorted([A1, K1, K2]));
    expect(aws.summary.walked).toEqual(['aws-x']);
    const glob = await select([`ref:aws-x:secret:${P}inc-*`]);
    expect(sorted(glob.refs)).toEqual(sorted([A1, A2]));
    expect(glob.summary.walked).toEqual(['aws-x']);
    expect((await select([`provider:vault-x`])).refs).toEqual([V1, V2]);
    // kind: walks only the instances configured to inventory that kind.
    expect((await select(['tag:ci-system=jenkins,kind:kv'])).summary).toMatchObject({ walked: ['vault-x'] });

    // Owners resolve through the registry: a team tag stands for its members.
    expect(sorted(mine((await select(['owner:alice'])).refs))).toEqual(sorted([A1, A2, Z1]));
    expect(sorted(mine((await select(['team:payments'])).refs))).toEqual(sorted([V1, A1, A2, K1, K2, Z1]));
    expect(mine((await select(['team:security'])).refs)).toEqual([V2]);
    const privileged = await select(['tier:privileged']);
    expect(sorted(mine(privileged.refs))).toEqual(sorted([V2, A3]));
    expect(privileged.matches.find((m) => m.record.ref === V2)).toMatchObject({
      tier: 'privileged',
      tierReason: `ref pattern vault-x:kv:${MOUNT}/prod/*`,
      owners: ['sec-oncall'],
    });

    // Last use: only K1 was used; identities with no known last use never match.
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await select(['used-after:2000-01-01,provider:aws-x'])).refs).toEqual([K1]);
    expect((await select([`used-after:${today},type:aws`])).refs).toEqual([K1]);
    expect((await select([`used-after:${tomorrow}T00:00:00+00:00,type:aws`])).refs).toEqual([]);
  });

  it('several --select are ORed; matched names every selector that selected an identity', async () => {
    const { matches } = await select(['owner:carol', 'tag:ci-system=github', 'owner:alice,type:aws']);
    // (The Key Vault is shared with other suites and the demo, whose owners include carol too.)
    expect(matches.filter((m) => m.record.ref.includes(sfx)).map((m) => [m.record.ref, m.matched])).toEqual([
      [A1, ['owner:alice,type:aws']],
      [A2, ['tag:ci-system=github', 'owner:alice,type:aws']],
      [A3, ['owner:carol']],
    ]);
  });

  it('refs-file: selects the listed refs and reports the listed refs no inventory holds', async () => {
    writeFileSync(
      join(dir, 'refs.txt'),
      [
        '# INC-7: what the CI runner held',
        A1,
        '',
        `${V1}  # deploy key`,
        `aws-x:secret:${P}gone`,
        'nope-x:kv:secret/a',
      ].join('\n'),
    );
    const { refs, summary } = await select(['refs-file:refs.txt']);
    expect(refs).toEqual([V1, A1]);
    expect(summary.walked).toEqual(['vault-x', 'aws-x']);
    expect(summary.missing).toEqual([
      {
        ref: `aws-x:secret:${P}gone`,
        reason: 'not found in the inventory of aws-x',
        matched: ['refs-file:refs.txt'],
      },
      {
        ref: 'nope-x:kv:secret/a',
        reason: 'no provider instance "nope-x" in config',
        matched: ['refs-file:refs.txt'],
      },
    ]);
    // A listed ref the rest of the selector rules out is neither selected nor reported.
    const secretsOnly = await select(['refs-file:refs.txt,kind:secret,type:aws']);
    expect(secretsOnly.refs).toEqual([A1]);
    expect(secretsOnly.summary.missing.map((m) => m.ref)).toEqual([`aws-x:secret:${P}gone`]);
  });

  it('the leaked value: alone it selects its holders (lineage), with --select it is one more way in', async () => {
    const fp = app.fingerprint(LEAKED);
    const progress = new Set<string>();
    const alone = await select([], {
      valueFingerprint: fp,
      onProgress: (instance) => progress.add(instance),
    });
    expect(alone.matches.map((m) => [m.record.ref, m.matched])).toEqual([[A2, ['value']]]);
    expect(alone.summary.walked).toEqual(['vault-x', 'aws-x', 'azure-x']);
    expect([...progress]).toEqual(['vault-x', 'aws-x', 'azure-x']);
    expect(alone.summary.seen).toBeGreaterThanOrEqual(8);
    expect(alone.summary.missing).toEqual([
      {
        ref: ROTATED,
        reason: 'holds the leaked value (recorded by nhi) but not found in the inventory of aws-x',
        matched: ['value'],
      },
    ]);

    const union = await select(['tag:ci-system=jenkins,type:aws'], { valueFingerprint: fp });
    expect(union.matches.map((m) => [m.record.ref, m.matched])).toEqual([
      [A1, ['tag:ci-system=jenkins,type:aws']],
      [A2, ['value']],
      [K1, ['tag:ci-system=jenkins,type:aws']],
      [K2, ['tag:ci-system=jenkins,type:aws']],
    ]);
    expect(union.summary.walked).toEqual(['vault-x', 'aws-x', 'azure-x']);

    // A fingerprint the provider reports (Vault describe reads the value) selects as well.
    const described = await (await app.provider('vault-x')).describe(parseRef(V1));
    expect(holdsFingerprint(described, app.fingerprint('deploy-value'))).toBe(true);
    expect(holdsFingerprint(described, fp)).toBe(false);

    const aborted = new AbortController();
    aborted.abort();
    await expect(
      walkSelection(
        { config: app.config, provider: app.provider, store: app.store, signal: aborted.signal },
        [],
        {
          valueFingerprint: fp,
        },
      ).next(),
    ).rejects.toThrow(/abort/i);
  });

  it('a last use known to the day counts as the end of that day', async () => {
    let a1: IdentityRecord | undefined;
    for await (const r of (await app.provider('aws-x')).inventory()) if (r.ref === A1) a1 = r;
    expect(a1).toMatchObject({ lastUsedConfidence: 'day', lastUsedSignal: 'LastAccessedDate' });
    const [sel] = parse(['used-after:2024-05-01T12:00:00Z']);
    const ctx = { config: app.config };
    // Real AWS stamps LastAccessedDate at midnight of the day of use.
    const rec = { ...(a1 as IdentityRecord), lastUsedAt: '2024-05-01T00:00:00.000Z' };
    expect(matchIdentity(rec, [sel!], ctx)).toEqual(['used-after:2024-05-01T12:00:00Z']);
    expect(matchIdentity({ ...rec, lastUsedConfidence: 'exact' }, [sel!], ctx)).toEqual([]);
    expect(matchIdentity({ ...rec, lastUsedAt: '2024-04-30T00:00:00.000Z' }, [sel!], ctx)).toEqual([]);
  });

  it('canary: the leaked value appears in no match, summary or error', () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const text of outputs) expect(text).not.toContain(LEAKED);
  });
});
