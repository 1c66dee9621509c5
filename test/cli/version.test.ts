/**
 * Issue 16 (CLI habits): `nhi --version` was hard-coded. It now comes from package.json, with
 * the commit the tree was built from (build-info.json, written by `npm run build`), or the
 * checkout's HEAD read straight from .git when there is no build info.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitCommit, versionInfo, versionText } from '../../src/cli/version.js';
import { REPO_ROOT } from '../example-config.js';
import { nhi } from './child.js';

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const SHA = 'a'.repeat(40);

/** A fake installed package: <root>/package.json and <root>/dist/src/cli as the module's folder. */
function fakePackage(name = 'nhi-reissue'): { root: string; moduleDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'nhi-version-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name, version: '9.8.7' }));
  const moduleDir = join(root, 'dist', 'src', 'cli');
  mkdirSync(moduleDir, { recursive: true });
  return { root, moduleDir };
}

describe('nhi --version', () => {
  it('prints the package.json version and the commit the CLI was built from', () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const r = nhi(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^${VERSION.replace(/\./g, '\\.')} \\(commit ${head.slice(0, 12)}(, dirty)?\\)\\n$`),
    );
    expect(r.stderr).toBe('');
  });

  it('works after a command word too, and is listed in --help', () => {
    expect(nhi(['scan', '--version']).stdout.split(' ')[0]).toBe(VERSION);
    expect(nhi(['--help']).stdout).toContain('--version');
  });
});

describe('versionInfo', () => {
  it('an installed package without .git or build info: the version alone', () => {
    const { moduleDir } = fakePackage();
    expect(versionInfo(moduleDir)).toEqual({ version: '9.8.7' });
    expect(versionText(versionInfo(moduleDir))).toBe('9.8.7');
  });

  it('build-info.json beside the compiled tree names the commit (and a dirty build)', () => {
    const { root, moduleDir } = fakePackage();
    writeFileSync(join(root, 'dist', 'build-info.json'), JSON.stringify({ commit: SHA, dirty: true }));
    expect(versionText(versionInfo(moduleDir))).toBe(`9.8.7 (commit ${SHA.slice(0, 12)}, dirty)`);
  });

  it('skips a package.json that is not ours on the way up', () => {
    const { moduleDir } = fakePackage();
    writeFileSync(join(moduleDir, '..', 'package.json'), JSON.stringify({ name: 'other', version: '1.0.0' }));
    expect(versionInfo(moduleDir).version).toBe('9.8.7');
  });

  it('reads HEAD from .git: a branch ref, a packed ref, a detached HEAD, a worktree', () => {
    const { root, moduleDir } = fakePackage();
    const git = join(root, '.git');
    mkdirSync(join(git, 'refs', 'heads'), { recursive: true });
    writeFileSync(join(git, 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(git, 'refs', 'heads', 'main'), `${SHA}\n`);
    expect(versionInfo(moduleDir).commit).toBe(SHA);

    const packed = 'b'.repeat(40);
    writeFileSync(join(git, 'HEAD'), 'ref: refs/heads/release\n');
    writeFileSync(join(git, 'packed-refs'), `# pack-refs with: peeled\n${packed} refs/heads/release\n`);
    expect(gitCommit(root)).toBe(packed);

    writeFileSync(join(git, 'HEAD'), `${'c'.repeat(40)}\n`);
    expect(gitCommit(root)).toBe('c'.repeat(40));

    // A linked worktree: .git is a file naming its gitdir, which names the common dir.
    const wt = mkdtempSync(join(tmpdir(), 'nhi-worktree-'));
    const wtGit = join(git, 'worktrees', 'wt');
    mkdirSync(wtGit, { recursive: true });
    writeFileSync(join(wt, '.git'), `gitdir: ${wtGit}\n`);
    writeFileSync(join(wtGit, 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(wtGit, 'commondir'), '../..\n');
    expect(gitCommit(wt)).toBe(SHA);
  });

  it('a broken .git gives no commit, never an error', () => {
    const { root } = fakePackage();
    writeFileSync(join(root, '.git'), 'not a gitdir line');
    expect(gitCommit(root)).toBeUndefined();
  });
});
