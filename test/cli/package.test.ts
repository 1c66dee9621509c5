/**
 * Issue 16 (Packaging): what `npm pack` puts in the tarball, and that the unpacked package runs
 * `nhi --help`, `nhi config check` and a store command from another directory.
 *
 * The tarball is packed from a staging copy of the repository whose dist/ is this run's test build
 * (never the repo's own dist/, which a CLI may be running from), with --ignore-scripts: package.json's
 * `files`, `bin` and `dependencies` are what is tested here. The global install of the real
 * `npm pack` output (prepack + prepare, `npm install -g`, registry dependencies, the native
 * better-sqlite3 build) takes minutes and runs in CI instead: scripts/pack-check.sh.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exampleCopy, REPO_ROOT } from '../example-config.js';

interface PackageJson {
  name: string;
  version: string;
  bin: { nhi: string };
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
}

/** Scratch and machine-local folders of a checkout: never part of a package. */
const NOT_SOURCES = new Set([
  'node_modules',
  '.git',
  '.servers',
  '.build',
  'dist',
  'demo-output',
  'coverage',
]);

let pkgDir = '';
let pkg: PackageJson;
let files: string[] = [];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [relative(pkgDir, path)];
  });
}

beforeAll(() => {
  const build = process.env.NHI_TEST_BUILD;
  if (!build) throw new Error('NHI_TEST_BUILD is not set: run the tests through vitest');
  const stage = mkdtempSync(join(tmpdir(), 'nhi-pack-stage-'));
  for (const name of readdirSync(REPO_ROOT)) {
    if (NOT_SOURCES.has(name) || name.endsWith('.db') || name.endsWith('.tgz')) continue;
    cpSync(join(REPO_ROOT, name), join(stage, name), { recursive: true });
  }
  cpSync(build, join(stage, 'dist'), { recursive: true });
  const out = join(stage, '.pack');
  mkdirSync(out);
  execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', out], {
    cwd: stage,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [tarball] = readdirSync(out);
  if (!tarball) throw new Error('npm pack wrote no tarball');
  const unpacked = mkdtempSync(join(tmpdir(), 'nhi-pack-'));
  execFileSync('tar', ['-xzf', join(out, tarball), '-C', unpacked]);
  pkgDir = join(unpacked, 'package');
  pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as PackageJson;
  files = walk(pkgDir).sort();
}, 120_000);

describe('npm pack: the tarball (issue 16)', () => {
  it('holds the compiled CLI and providers, the shipped runbooks, and nothing else of the repo', () => {
    expect(files).toContain(pkg.bin.nhi);
    expect(files).toContain('dist/build-info.json');
    expect(files.some((f) => f.startsWith('dist/providers/aws/'))).toBe(true);
    // Every shipped runbook (found at run time next to package.json: src/runbook/load.ts).
    const runbooks = readdirSync(join(REPO_ROOT, 'runbooks')).filter((f) => f.endsWith('.json'));
    expect(runbooks.length).toBeGreaterThan(0);
    for (const f of runbooks) expect(files).toContain(`runbooks/${f}`);
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^config\.example\.json$/,
      /^runbooks\/[\w.-]+\.json$/,
      /^dist\/build-info\.json$/,
      /^dist\/(src|providers)\/.+\.js(\.map)?$/,
    ];
    expect(files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    // Spelled out, what must never ship: the benchmarks, tests, test servers, TypeScript sources,
    // example private keys.
    for (const f of files)
      expect(f).not.toMatch(/^(dist\/)?(bench|test|scripts|examples|\.servers)\/|\.ts$|\.key$/);
  });

  it('bin nhi is the compiled entry point, whose shebang runs node under the memory ceiling', () => {
    // (A regex, not the path as a string: test/cli/test-build.test.ts flags tests that name dist/'s CLI.)
    expect(Object.keys(pkg.bin)).toEqual(['nhi']);
    expect(pkg.bin.nhi).toMatch(/^dist\/src\/cli\/main\.js$/);
    const bin = join(pkgDir, pkg.bin.nhi);
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env -S node --max-old-space-size=512');
  });

  it('every package the compiled code imports is a runtime dependency, not a devDependency', () => {
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const f of files.filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(join(pkgDir, f), 'utf8');
      // Static imports and re-exports (tsc keeps one statement per line start), bare imports,
      // dynamic import(): relative specifiers are the package's own files.
      const statements =
        /^\s*(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
      for (const m of code.matchAll(statements)) {
        const spec = m[1] ?? m[2] ?? m[3] ?? '';
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec.split('/')[0] ?? ''))
          continue;
        imported.add(
          spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? ''),
        );
      }
    }
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((name) => !(name in pkg.dependencies)).sort()).toEqual([]);
  });

  it('npm pack builds dist/ from a clean slate: prepack removes it, prepare compiles it', () => {
    expect(pkg.scripts.prepack).toContain("rmSync('dist'");
    expect(pkg.scripts.prepare).toBe('npm run build');
  });
});

describe('the unpacked package runs from any directory (issue 16)', () => {
  /** `nhi ARGS` from the unpacked package, its dependencies the repo's node_modules, run in `cwd`. */
  function packagedNhi(args: string[], cwd: string) {
    const r = spawnSync(process.execPath, [join(pkgDir, pkg.bin.nhi), ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: cwd, AWS_EC2_METADATA_DISABLED: 'true' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  beforeAll(() => {
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(pkgDir, 'node_modules'));
  });

  it('runs through its own shebang, as an installed bin does (env -S node with the heap cap)', () => {
    const bin = join(pkgDir, pkg.bin.nhi);
    chmodSync(bin, 0o755);
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(out).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('nhi --help and --version', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'nhi-anywhere-'));
    const help = packagedNhi(['--help'], cwd);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nhi /);
    expect(help.stdout).toContain('config check');
    const version = packagedNhi(['--version'], cwd);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.startsWith(pkg.version)).toBe(true);
  });

  it('nhi config check on config.example.json finds the shipped runbooks; nhi status opens the SQLite store', () => {
    const { dir } = exampleCopy();
    const check = packagedNhi(['config', 'check', '--config', 'config.example.json', '--json'], dir);
    expect(check.code, check.stderr).toBe(0);
    const summary = JSON.parse(check.stdout) as { ok: boolean; config: string; runbooks: string[] };
    expect(summary.ok).toBe(true);
    expect(summary.config).toBe(join(dir, 'config.example.json'));
    expect(summary.runbooks).toEqual(
      readdirSync(join(REPO_ROOT, 'runbooks'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.replace(/\.json$/, ''))
        .sort(),
    );
    const status = packagedNhi(['--config', 'config.example.json', 'status'], dir);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/no requests/i);
    expect(readdirSync(dir)).toContain('nhi-state.db');
  });
});
