/**
 * Issue 16 (CLI habits): `npm test` rebuilt dist/ in place, so a CLI run from dist/ at the same
 * time crashed on half-written modules. The vitest global setup builds into a folder of its own
 * (.build/test-<pid>, NHI_TEST_BUILD) and every test that spawns the CLI uses it; `npm run
 * build` alone writes dist/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../example-config.js';
import { testCliMain } from '../servers/test-build.js';

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory())
      return name === 'node_modules' || name === 'openbao' ? [] : testFiles(path);
    return /\.(ts|mjs|js)$/.test(name) ? [path] : [];
  });
}

/** A path to dist/'s CLI in a string literal, or built with join(): what spawning it would take. */
const DIST_CLI = [/['"`][^'"`\n]*\bdist\/src\/cli\/main\.js/, /'dist',\s*'src',\s*'cli',\s*'main\.js'/];

describe('the tests build the CLI into their own folder, never dist/ (issue 16)', () => {
  it('the CLI the tests spawn lives in .build/test-<pid>, built for this run', () => {
    const build = process.env.NHI_TEST_BUILD ?? '';
    expect(relative(REPO_ROOT, build)).toMatch(new RegExp(`^\\.build\\${sep}test-\\d+$`));
    expect(testCliMain().startsWith(`${build}${sep}`)).toBe(true);
    expect(existsSync(testCliMain())).toBe(true);
    expect(existsSync(join(build, 'build-info.json'))).toBe(true);
  });

  it('npm test runs vitest only (no pre/post hook that builds); npm run build writes dist/', () => {
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.test).toBe('vitest run');
    expect(scripts.pretest).toBeUndefined();
    expect(scripts.posttest).toBeUndefined();
    expect(scripts.build).toMatch(/^tsc -p tsconfig\.build\.json && node scripts\/build-info\.mjs dist$/);
  });

  it('no test starts the CLI from dist/', () => {
    const offenders = testFiles(join(REPO_ROOT, 'test')).filter(
      (f) =>
        f !== join(REPO_ROOT, 'test', 'cli', 'test-build.test.ts') &&
        DIST_CLI.some((re) => re.test(readFileSync(f, 'utf8'))),
    );
    expect(offenders).toEqual([]);
  });
});
