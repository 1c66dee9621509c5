#!/usr/bin/env bash
# The package as a user gets it (issue 16, Packaging): `npm pack`, `npm install -g` of the tarball
# into a temporary prefix, then `nhi` from the prefix's bin/ in an unrelated directory:
#   nhi --help, nhi --version, nhi config check on config.example.json (with the shipped runbooks),
#   nhi status (opens the SQLite state file: the native better-sqlite3 module works).
# test/cli/package.test.ts checks the tarball's contents in every `npm test`; this takes minutes
# (registry dependencies, better-sqlite3 compiled from source), so it runs in CI only (.ci/run).
#
# `npm pack` runs prepack (removes dist/) and prepare (compiles it), so this rewrites dist/: run it
# in a checkout no CLI is running from (CI's fresh clone is one).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/nhi-pack-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() {
  echo "pack-check: $*" >&2
  exit 1
}

# 1. The tarball, built the way `npm publish` would build it.
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(echo "$work"/nhi-reissue-*.tgz)"
[[ -f "$tarball" ]] || fail "npm pack wrote no tarball"
listing="$(tar -tzf "$tarball")"
grep -qx 'package/dist/src/cli/main.js' <<<"$listing" || fail "the tarball has no dist/src/cli/main.js"
! grep -qE '^package/(dist/)?(bench|test)/' <<<"$listing" || fail "the tarball ships bench/ or test/"
echo "packed $(basename "$tarball"): $(wc -l <<<"$listing") files, $(du -k "$tarball" | cut -f1) KiB"

# 2. A global install into a prefix of its own. Dependencies come from the npm registry (the
# package ships no lockfile). --allow-scripts: npm 11 warns about, and later npm blocks, dependency
# install scripts not allowed by name; better-sqlite3's builds its native module (from source
# when prebuild-install cannot download a prebuilt binary, as here).
prefix="$work/global"
npm install --global --prefix "$prefix" --allow-scripts=better-sqlite3 --no-fund --no-audit "$tarball" >/dev/null
nhi="$prefix/bin/nhi"
[[ -x "$nhi" ]] || fail "npm install -g put no executable nhi in $prefix/bin"

# 3. From a directory that is not the checkout, with the bin/ on PATH as a user has it.
cwd="$work/elsewhere"
mkdir -p "$cwd"
cp "$root/config.example.json" "$cwd/"
cp -r "$root/examples" "$cwd/"
# git keeps no file modes; nhi refuses private keys that others can read (test/example-config.ts).
chmod 600 "$cwd"/examples/keys/*.key "$cwd"/examples/secrets/*
cd "$cwd"
export PATH="$prefix/bin:$PATH"
[[ "$(command -v nhi)" == "$nhi" ]] || fail "nhi on PATH is $(command -v nhi), not the installed one"

help="$(nhi --help)" || fail "nhi --help exited $?"
grep -q '^Usage: nhi ' <<<"$help" || fail "nhi --help printed no usage line"
version="$(nhi --version)" || fail "nhi --version exited $?"
expected="$(node -p "require('$root/package.json').version")"
[[ "$version" == "$expected"* ]] || fail "nhi --version printed '$version', expected $expected"

check="$(nhi config check --config config.example.json)" || fail "nhi config check exited $?"
grep -qx "config ok: $cwd/config.example.json" <<<"$check" || fail "config check: $check"
runbooks="$(ls "$root"/runbooks/*.json | wc -l)"
grep -q "runbooks: ${runbooks}\$" <<<"$check" || fail "config check did not find the ${runbooks} shipped runbooks: $check"

nhi --config config.example.json status >/dev/null || fail "nhi status exited $?"
[[ -f nhi-state.db ]] || fail "nhi status created no state file"

echo "$check"
echo "installed with npm install -g; nhi --help, --version ($version), config check and status pass from $cwd"
