/**
 * Vitest global setup: make sure the three local servers run (starting only the ones
 * that are not already up) and stop, at the end, exactly the ones this run started.
 * If a server cannot start, setup throws: provider suites fail loudly, never skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'servers.sh');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

export default function setup(): () => void {
  // Tests that spawn the real CLI use a build of their own (.build/test-<pid>, NHI_TEST_BUILD),
  // never dist/: a CLI in use, or another test run, must not see half-written modules.
  const build = join(root, '.build', `test-${process.pid}`);
  process.env.NHI_TEST_BUILD = build;
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', build], {
      cwd: root,
      stdio: 'pipe',
      encoding: 'utf8',
    });
    // As `npm run build` does: the commit `nhi --version` reports (test/cli/version.test.ts).
    execFileSync(process.execPath, [join(root, 'scripts', 'build-info.mjs'), build], {
      cwd: root,
      stdio: 'pipe',
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`the test build (tsc) failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  const record = join(mkdtempSync(join(tmpdir(), 'nhi-servers-')), 'started');
  try {
    execFileSync('bash', [script, 'up', '--record', record], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (error) {
    throw new Error(`local test servers did not start (bash test/servers/servers.sh up): ${String(error)}`);
  }
  // Node reads NODE_EXTRA_CA_CERTS at start-up; forked test workers inherit it from here.
  process.env.NODE_EXTRA_CA_CERTS = join(root, '.servers', 'lowkey-ca.pem');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  // The AWS SDK's NodeVersionSupportWarning fires below Node 22 only; on 22 and 24 nothing is silenced,
  // so a warning there would show up in the tests that expect a quiet stderr.
  if (Number(process.versions.node.split('.')[0]) < 22) {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  }
  let started: string[] = [];
  try {
    started = readFileSync(record, 'utf8').split('\n').filter(Boolean);
  } catch {
    started = [];
  }
  return () => {
    rmSync(build, { recursive: true, force: true });
    if (started.length > 0 && process.env.NHI_KEEP_SERVERS !== '1') {
      execFileSync('bash', [script, 'down', ...started], { stdio: 'inherit' });
    }
  };
}
