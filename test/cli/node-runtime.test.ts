/**
 * Issue 16 (Runtime): the suite runs on Node 20, 22 and 24 (.ci/run, scripts/test-on-node.sh), and
 * this file is what differs between them on purpose.
 * - package.json `engines` names exactly the lines CI tests, and this Node is one of them;
 * - the AWS SDK prints a NodeVersionSupportWarning below Node 22 only (its releases after the first
 *   week of January 2027 need 22). src/cli/main.ts silences it on Node 20 and nowhere else, so the
 *   real CLI, scanning moto, prints no such warning on any supported Node. Should a future SDK raise
 *   its floor to 24, the first test fails on 22: time to revisit main.ts and `engines`.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../example-config.js';
import { motoSecretsProvider, writeTestConfig } from '../scan/helpers.js';
import { nhi } from './child.js';

const major = Number(process.versions.node.split('.')[0]);

/** The environment without the SDK's switch, as a user's shell has it. */
function envWithoutSwitch(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  return env;
}

describe(`Node ${process.versions.node} (issue 16: Node 20, 22 and 24 are supported)`, () => {
  it('package.json engines names the LTS lines CI tests, and this Node is one of them', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toBe('^20.19.0 || ^22.12.0 || ^24.11.0');
    expect([20, 22, 24]).toContain(major);
  });

  it(`the AWS SDK itself warns about the Node version ${major < 22 ? 'here (below 22)' : 'not here (22 or later)'}`, () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';" +
          "new SecretsManagerClient({ region: 'eu-west-1' }).destroy();",
      ],
      { cwd: REPO_ROOT, env: envWithoutSwitch(), encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    if (major < 22) expect(r.stderr).toContain('NodeVersionSupportWarning');
    else expect(r.stderr).toBe('');
  });

  it('the CLI, scanning moto through the AWS SDK, prints no NodeVersionSupportWarning', () => {
    // A prefix nothing is stored under: the scan makes real SDK calls and finds nothing.
    const prefix = `nhi-node-runtime-${randomUUID().slice(0, 8)}/`;
    const { configPath, env, dir } = writeTestConfig({ providers: { moto: motoSecretsProvider(prefix) } });
    expect(env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBeUndefined();
    const r = nhi(['--config', configPath, 'scan', '--format', 'json', '--no-alert'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('schemaVersion');
    expect(r.stderr).not.toContain('NodeVersionSupportWarning');
    expect(r.stderr).not.toMatch(/Warning:/);
  });
});
