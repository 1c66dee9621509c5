/**
 * `nhi --version`: the package version from package.json, and the git commit the code came
 * from. Read only when --version is asked for (never on `nhi --help`, which is benchmarked).
 *
 * The commit comes from `build-info.json`, which `npm run build` writes beside the compiled
 * tree (scripts/build-info.mjs): that is the commit the code was built from, and the only
 * source once the package is installed without its .git. Without it (a tree compiled by
 * plain tsc, vitest running src/) the checkout's .git is read directly — no `git` process,
 * and no git needed on the machine.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'nhi-reissue';

export interface VersionInfo {
  version: string;
  commit?: string;
  /** The build was made from a work tree with uncommitted changes. */
  dirty?: boolean;
}

/** `0.1.0 (commit 334122da1b2c)`: the version first, so `nhi --version | cut -d' ' -f1` works. */
export function versionText(info: VersionInfo = versionInfo()): string {
  if (!info.commit) return info.version;
  return `${info.version} (commit ${info.commit.slice(0, 12)}${info.dirty ? ', dirty' : ''})`;
}

/** `moduleDir`: where this module lives (tests point it elsewhere). */
export function versionInfo(moduleDir = dirname(fileURLToPath(import.meta.url))): VersionInfo {
  const root = packageRoot(moduleDir);
  const version = root ? readPackageVersion(root) : undefined;
  // <out>/src/cli/version.js -> <out>/build-info.json (dist/, or the tests' .build/test-<pid>/).
  const built = readBuildInfo(resolve(moduleDir, '..', '..', 'build-info.json'));
  const commit = built?.commit ?? (root ? gitCommit(root) : undefined);
  return {
    version: version ?? 'unknown',
    ...(commit ? { commit } : {}),
    ...(built?.commit && built.dirty ? { dirty: true } : {}),
  };
}

/** The nearest directory above `from` whose package.json is this package's. */
function packageRoot(from: string): string | undefined {
  let dir = from;
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // Not ours or not JSON: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readPackageVersion(root: string): string | undefined {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : undefined;
}

function readBuildInfo(file: string): { commit?: string; dirty?: boolean } | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as { commit?: unknown; dirty?: unknown };
    return {
      ...(typeof info.commit === 'string' && /^[0-9a-f]{7,64}$/.test(info.commit)
        ? { commit: info.commit }
        : {}),
      dirty: info.dirty === true,
    };
  } catch {
    return undefined;
  }
}

/** HEAD's commit from `<root>/.git`: a directory, or a file `gitdir: PATH` (worktrees, submodules). */
export function gitCommit(root: string): string | undefined {
  try {
    let gitDir = join(root, '.git');
    if (statSync(gitDir).isFile()) {
      const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(gitDir, 'utf8'));
      if (!m?.[1]) return undefined;
      gitDir = resolve(root, m[1].trim());
    }
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    const ref = /^ref:\s*(.+)$/.exec(head)?.[1];
    if (!ref) return isSha(head) ? head : undefined;
    // A worktree keeps HEAD in its own gitdir but branches in the common one.
    const common = existsSync(join(gitDir, 'commondir'))
      ? resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim())
      : gitDir;
    for (const dir of [gitDir, common]) {
      const loose = join(dir, ref);
      if (existsSync(loose)) {
        const sha = readFileSync(loose, 'utf8').trim();
        return isSha(sha) ? sha : undefined;
      }
    }
    const packed = join(common, 'packed-refs');
    if (!existsSync(packed)) return undefined;
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha && isSha(sha)) return sha;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

function isSha(text: string): boolean {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(text);
}
