#!/usr/bin/env node
// Writes OUT_DIR/build-info.json: the git commit the compiled tree was built from (and whether
// the work tree had uncommitted changes), for `nhi --version` (src/cli/version.ts). Run by
// `npm run build` after tsc; outside a git checkout, or without git, it writes {} and the
// version shows without a commit.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const outDir = resolve(process.argv[2] ?? 'dist');
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const git = (args) =>
  execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

const info = {};
try {
  info.commit = git(['rev-parse', 'HEAD']);
  info.dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
} catch {
  // Not a git checkout (an unpacked tarball) or no git: no commit to report.
}
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'build-info.json'), `${JSON.stringify(info)}\n`);
