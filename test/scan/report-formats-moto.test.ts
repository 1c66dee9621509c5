/**
 * Issue 16 (reports): `nhi scan --format sarif|ocsf|markdown|html --out FILE` end to end through
 * the CLI, the real AWS adapter and the local moto server. Two scans: an untagged secret is
 * orphaned in both, a secret restored from deletion is re-enabled in the second; both files
 * validate against the official schemas, and the same finding keeps its SARIF fingerprint and
 * OCSF uid while its activity moves from Create to Update.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  RestoreSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { CANARY, motoSecretsClient, motoSecretsProvider, writeTestConfig } from './helpers.js';
import { errorsOf, ocsfDetectionFindingValidator, sarifValidator } from './report-schemas.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const prefix = `nhi-fmt-${randomUUID().slice(0, 8)}/`;
const sm = motoSecretsClient();
afterAll(() => sm.destroy());

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  let out = '';
  const sink = {
    write: (s: string) => {
      out += s;
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const code = await runCli(args, { stdout: sink, stderr: sink, env });
  return { code, out };
}

interface Sarif {
  runs: {
    results: {
      ruleId: string;
      partialFingerprints: Record<string, string>;
      locations: { logicalLocations: { fullyQualifiedName: string }[] }[];
    }[];
  }[];
}
interface Ocsf {
  activity_id: number;
  finding_info: { uid: string; types: string[] };
  resources: { uid: string; type: string }[];
}

describe('nhi scan --format sarif|ocsf against moto (real AWS adapter)', () => {
  it('writes schema-valid SARIF and OCSF whose identities hold across scans', async () => {
    const { configPath, env, dir } = writeTestConfig({
      providers: { moto: motoSecretsProvider(prefix) },
      notify: {},
      schedules: {},
    });
    const runEnv = {
      ...env,
      NHI_AWS_SECRET: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    await sm.send(
      new CreateSecretCommand({
        Name: `${prefix}owned`,
        SecretString: CANARY,
        Tags: [{ Key: 'owner', Value: 'alice' }],
      }),
    );
    await sm.send(new CreateSecretCommand({ Name: `${prefix}untagged`, SecretString: CANARY }));
    await sm.send(
      new CreateSecretCommand({
        Name: `${prefix}flip`,
        SecretString: CANARY,
        Tags: [{ Key: 'owner', Value: 'bob' }],
      }),
    );
    await sm.send(new DeleteSecretCommand({ SecretId: `${prefix}flip`, RecoveryWindowInDays: 7 }));

    const scan = async (n: number) => {
      const files: Record<string, string> = {};
      // One scan writes one report; OCSF first, so its first file is the very first scan.
      for (const format of ['ocsf', 'sarif', 'markdown', 'html']) {
        const out = join(dir, `r${n}.${format}`);
        const r = await cli(
          ['--config', configPath, 'scan', '--no-alert', '--format', format, '--out', out],
          runEnv,
        );
        expect(r.code, r.out).toBe(0);
        expect(r.out).not.toContain(CANARY);
        files[format] = readFileSync(out, 'utf8');
        expect(files[format]).not.toContain(CANARY);
      }
      return files;
    };
    const first = await scan(1);
    await sm.send(new RestoreSecretCommand({ SecretId: `${prefix}flip` }));
    const second = await scan(2);

    const sarif = sarifValidator();
    const ocsf = ocsfDetectionFindingValidator();
    const docs = [JSON.parse(first.sarif ?? '') as Sarif, JSON.parse(second.sarif ?? '') as Sarif];
    for (const d of docs) expect(sarif(d), errorsOf(sarif).join('\n')).toBe(true);
    const lines = (t: string) =>
      t
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Ocsf);
    const o1 = lines(first.ocsf ?? '');
    const o2 = lines(second.ocsf ?? '');
    for (const f of [...o1, ...o2]) expect(ocsf(f), errorsOf(ocsf).join('\n')).toBe(true);

    const orphan = `moto:secret:${prefix}untagged`;
    const fp = (d: Sarif, type: string, ref: string) =>
      d.runs[0]?.results.find(
        (r) => r.ruleId === type && r.locations[0]?.logicalLocations[0]?.fullyQualifiedName === ref,
      )?.partialFingerprints['nhiFindingId/v1'];
    expect(fp(docs[0] as Sarif, 'orphaned', orphan)).toMatch(/^fnd_[0-9a-f]{32}$/);
    expect(fp(docs[1] as Sarif, 'orphaned', orphan)).toBe(fp(docs[0] as Sarif, 'orphaned', orphan));
    expect(fp(docs[1] as Sarif, 'reenabled', `moto:secret:${prefix}flip`)).toMatch(/^fnd_/);

    const o1Orphan = o1.find((f) => f.resources[0]?.uid === orphan);
    const o2Orphan = o2.find((f) => f.resources[0]?.uid === orphan);
    expect(o1Orphan).toMatchObject({ activity_id: 1, resources: [{ type: 'aws:secret' }] });
    expect(o2Orphan).toMatchObject({ activity_id: 2, finding_info: { uid: o1Orphan?.finding_info.uid } });
    const flip = o2.find((f) => f.finding_info.types[0] === 'reenabled');
    expect(flip?.resources[0]?.uid).toBe(`moto:secret:${prefix}flip`);

    // Every scan of the same providers is a point of the trend (8 scans: 4 formats x 2).
    expect(second.markdown).toMatch(/\| severity \| open \| last 6 scans \|/);
    expect(second.html).toContain('Open findings over the last 8 scan(s)');
  });
});
