#!/usr/bin/env bash
# Local backing services for development and CI: PostgreSQL, MinIO, Elasticsearch.
#
#   scripts/services.sh up [postgres|minio|elasticsearch ...]   install what is missing, start, wait until healthy
#   scripts/services.sh down                                     stop everything, delete the state dir (keeps the cache)
#   scripts/services.sh env                                      print `export` lines for the integration tests
#   scripts/services.sh status                                   print health of each service; non-zero if any is down
#
# Servers listen on loopback only: 127.0.0.1 (MinIO additionally binds [::1], which it always
# does for every loopback address; nothing else is bound). State (data, logs, pid files) lives in
# ${REELMART_SERVICES_DIR:-/tmp/reelmart-services}; downloads and binaries in
# ${REELMART_CACHE_DIR:-$HOME/.cache/reelmart}. See docs/SERVICES.md.
set -euo pipefail
shopt -s inherit_errexit

# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------
HOST=127.0.0.1
PG_PORT=55432
MINIO_PORT=59000
MINIO_CONSOLE_PORT=59001
ES_HTTP_PORT=59200
ES_TRANSPORT_PORT=59300

PG_APP_USER=reelmart
PG_APP_PASSWORD=reelmart
PG_APP_DB=reelmart
PG_MAX_CONNECTIONS=250
PG_OS_USER=postgres

MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_USER=reelmart
MINIO_PASSWORD=reelmart-secret
MINIO_BUCKET=reelmart-test

ES_VERSION=8.19.21
# Fetched by its Maven coordinates with Maven's own client (maven-dependency-plugin), never by URL.
ES_ARTIFACT=org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip
MVN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
# Published beside the zip on Maven Central (elasticsearch-8.19.21.zip.sha512).
ES_SHA512=cf6b0a93860d329937ae7f913ec5073b0c726c77639764b93fc83a304aa1dd9d4defcfa2849948eea3b0b47c2065f994908603939fc2a4774c9c4d868c5ec1dd
ES_OS_USER=reelmart-es
ES_HEAP=512m
ES_START_TIMEOUT=${REELMART_ES_START_TIMEOUT:-240}

if [[ -z ${HOME:-} ]]; then HOME=$(getent passwd "$(id -u)" | cut -d: -f6); fi
STATE_DIR=${REELMART_SERVICES_DIR:-/tmp/reelmart-services}
CACHE_DIR=${REELMART_CACHE_DIR:-$HOME/.cache/reelmart}

LOG_DIR=$STATE_DIR/logs
STATE_MARKER=$STATE_DIR/.reelmart-services

PG_DIR=$STATE_DIR/postgres
PG_DATA=$PG_DIR/data
PG_SOCK=$PG_DIR/run
PG_LOG=$LOG_DIR/postgres.log

MINIO_BIN=$CACHE_DIR/bin/minio
MINIO_BUILD_LOG=$CACHE_DIR/minio-build.log
MINIO_DIR=$STATE_DIR/minio
MINIO_DATA=$MINIO_DIR/data
MINIO_PIDFILE=$MINIO_DIR/minio.pid
MINIO_LOG=$LOG_DIR/minio.log

ES_ZIP=$CACHE_DIR/elasticsearch-$ES_VERSION.zip
ES_CACHE_HOME=$CACHE_DIR/elasticsearch-$ES_VERSION
ES_DIR=$STATE_DIR/elasticsearch
ES_DATA=$ES_DIR/data
ES_CONF=$ES_DIR/config
ES_TMP=$ES_DIR/tmp
ES_MIRROR_HOME=$ES_DIR/home
ES_PIDFILE=$ES_DIR/elasticsearch.pid
ES_LOGS=$LOG_DIR/elasticsearch
ES_LOG=$ES_LOGS/reelmart-dev.log
ES_LAUNCH_LOG=$LOG_DIR/elasticsearch-launcher.log

ALL_SERVICES=(postgres minio elasticsearch)

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
log() { printf '[services] %s\n' "$*" >&2; }
die() {
  printf '[services] ERROR: %s\n' "$*" >&2
  exit 1
}
now_ms() { date +%s%3N; }
since() { # since START_MS -> "1.2s"
  local ms=$(($(now_ms) - $1))
  printf '%d.%ds' $((ms / 1000)) $(((ms % 1000) / 100))
}
log_tail() { # log_tail FILE: print the last lines of a log to stderr
  if [[ -f $1 ]]; then
    printf -- '----- last lines of %s -----\n' "$1" >&2
    tail -n 40 "$1" >&2 || true
    printf -- '-----\n' >&2
  fi
}

# as_user USER CMD...: run a command as another user, from a directory it can read,
# without our lock fd (a daemon inheriting it would hold the lock forever).
as_user() {
  local user=$1
  shift
  (cd / && runuser -u "$user" -- "$@" 9>&-)
}

# proc_alive PID PATTERN: PID is running and its command line contains PATTERN.
proc_alive() {
  local pid=$1 pattern=$2
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$pattern"
}

read_pid() { [[ -f $1 ]] && head -n 1 "$1" 2>/dev/null | tr -dc '0-9'; }

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

# require_ports_free SERVICE PORT...: fail when a port is taken by something that is not ours.
require_ports_free() {
  local service=$1 port
  shift
  for port in "$@"; do
    if port_open "$port"; then
      die "$service: port $HOST:$port is already in use by another process (not the $service of $STATE_DIR). Is another REELMART_SERVICES_DIR up? Run 'scripts/services.sh down' there, or find it with: ss -ltnp 'sport = :$port'"
    fi
  done
}

# stop_pid NAME PID PATTERN SECONDS: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 pattern=$3 secs=$4 i
  proc_alive "$pid" "$pattern" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    proc_alive "$pid" "$pattern" || return 0
    sleep 0.1
  done
  log "$name: did not stop after ${secs}s, sending SIGKILL to $pid"
  kill -KILL "$pid" 2>/dev/null || true
  # Wait for it to be gone, so that a following 'up' never finds its ports still bound.
  for ((i = 0; i < 50; i++)); do
    proc_alive "$pid" "$pattern" || return 0
    sleep 0.1
  done
  log "$name: pid $pid still alive after SIGKILL"
}

# apt_install PKG...: apt-get update (once per run) + install, serialised between parallel steps.
apt_install() {
  mkdir -p "$CACHE_DIR/.locks"
  (
    flock 8
    if [[ ! -f $RUN_TMP/apt-updated ]]; then
      log "apt: apt-get update"
      apt-get update -qq >"$RUN_TMP/apt-update.log" 2>&1 || {
        log_tail "$RUN_TMP/apt-update.log"
        die "apt-get update failed"
      }
      touch "$RUN_TMP/apt-updated"
    fi
    log "apt: installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
      >"$RUN_TMP/apt-install.log" 2>&1 || {
      log_tail "$RUN_TMP/apt-install.log"
      die "apt-get install $* failed"
    }
  ) 8>"$CACHE_DIR/.locks/apt.lock"
}

ensure_command() { # ensure_command CMD DEBIAN_PACKAGE
  command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

ensure_state_dir() {
  case $STATE_DIR in
    /*) ;;
    *) die "REELMART_SERVICES_DIR must be an absolute path (got '$STATE_DIR')" ;;
  esac
  [[ $STATE_DIR != / ]] || die "REELMART_SERVICES_DIR must not be /"
  if [[ -d $STATE_DIR && ! -f $STATE_MARKER ]] && [[ -n $(ls -A "$STATE_DIR") ]]; then
    die "$STATE_DIR exists, is not empty and was not created by this script; refusing to use it"
  fi
  mkdir -p "$STATE_DIR" "$LOG_DIR"
  chmod 755 "$STATE_DIR" "$LOG_DIR"
  touch "$STATE_MARKER"
}

# check_reachable USER DIR: the service user can write DIR (all parents traversable).
check_reachable() {
  as_user "$1" test -w "$2" -a -x "$2" ||
    die "user $1 cannot write $2 (a parent directory is not world-traversable?); set REELMART_SERVICES_DIR to a path under /tmp or /var/tmp"
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------
pg_bin() {
  local d
  d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  [[ -n $d && -x $d/initdb ]] || return 1
  printf '%s\n' "$d"
}

pg_running() { proc_alive "$(read_pid "$PG_DATA/postmaster.pid")" postgres; }

pg_healthy() {
  local bin
  bin=$(pg_bin) || return 1
  pg_running && "$bin/pg_isready" -q -h "$HOST" -p "$PG_PORT" -t 2
}

ensure_postgres_installed() {
  pg_bin >/dev/null && return 0
  # Do not let the package create and start its default cluster (it would listen on localhost:5432).
  mkdir -p /etc/postgresql-common/createcluster.d
  printf 'create_main_cluster = false\n' >/etc/postgresql-common/createcluster.d/reelmart-no-main-cluster.conf
  apt_install postgresql
  pg_bin >/dev/null || die "postgres: installed package 'postgresql' but found no /usr/lib/postgresql/*/bin/initdb"
}

pg_write_conf() {
  cat >"$PG_DATA/reelmart.conf" <<EOF
# Written by scripts/services.sh on every start; throw-away dev/CI settings.
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = $PG_MAX_CONNECTIONS
shared_buffers = 128MB
ssl = off
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
timezone = 'UTC'
log_timezone = 'UTC'
log_min_messages = warning
EOF
  chown "$PG_OS_USER:" "$PG_DATA/reelmart.conf"
}

pg_bootstrap_sql() {
  cat <<EOF
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_APP_USER') THEN
    CREATE ROLE $PG_APP_USER LOGIN CREATEDB PASSWORD '$PG_APP_PASSWORD';
  ELSE
    ALTER ROLE $PG_APP_USER LOGIN CREATEDB PASSWORD '$PG_APP_PASSWORD';
  END IF;
END
\$\$;
-- Tests drop their databases WITH (FORCE), which must be able to end an autovacuum worker.
GRANT pg_signal_backend TO $PG_APP_USER;
SELECT 'CREATE DATABASE $PG_APP_DB OWNER $PG_APP_USER'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_APP_DB') \gexec
EOF
}

pg_up() {
  local t0 bin i
  t0=$(now_ms)
  ensure_postgres_installed
  bin=$(pg_bin)
  if pg_running; then
    for ((i = 0; i < 60; i++)); do
      if pg_healthy; then
        log "postgres: already running (pid $(read_pid "$PG_DATA/postmaster.pid")), reusing"
        return 0
      fi
      sleep 0.5
    done
    die "postgres: running (pid $(read_pid "$PG_DATA/postmaster.pid")) but not accepting connections on $HOST:$PG_PORT; log: $PG_LOG"
  fi
  require_ports_free postgres "$PG_PORT"

  mkdir -p "$PG_DIR" "$PG_SOCK"
  chown "$PG_OS_USER:" "$PG_DIR" "$PG_SOCK"
  chmod 700 "$PG_DIR"
  touch "$PG_LOG"
  chown "$PG_OS_USER:" "$PG_LOG"
  check_reachable "$PG_OS_USER" "$PG_DIR"

  local fresh=0
  if [[ ! -f $PG_DIR/.initialized ]]; then
    fresh=1
    rm -rf "$PG_DATA"
    log "postgres: initdb ($("$bin/postgres" --version | awk '{print $3}'))"
    as_user "$PG_OS_USER" "$bin/initdb" -D "$PG_DATA" -U postgres -E UTF8 --no-locale \
      --auth-local=trust --auth-host=scram-sha-256 --no-sync --no-instructions \
      >>"$PG_LOG" 2>&1 || {
      log_tail "$PG_LOG"
      die "postgres: initdb failed; log: $PG_LOG"
    }
    printf "\ninclude 'reelmart.conf'\n" >>"$PG_DATA/postgresql.conf"
  fi
  pg_write_conf

  as_user "$PG_OS_USER" "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start </dev/null >/dev/null 2>&1 || {
    log_tail "$PG_LOG"
    die "postgres: pg_ctl start failed; log: $PG_LOG"
  }
  if ((fresh)); then
    pg_bootstrap_sql | as_user "$PG_OS_USER" "$bin/psql" -X -q -v ON_ERROR_STOP=1 \
      -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres >>"$PG_LOG" 2>&1 || {
      log_tail "$PG_LOG"
      die "postgres: creating role/database '$PG_APP_USER' failed; log: $PG_LOG"
    }
    touch "$PG_DIR/.initialized"
  fi
  pg_healthy || die "postgres: started but not accepting connections on $HOST:$PG_PORT; log: $PG_LOG"
  log "postgres: ready on $HOST:$PG_PORT in $(since "$t0")"
}

pg_down() {
  local bin pid
  pid=$(read_pid "$PG_DATA/postmaster.pid") || true
  proc_alive "$pid" postgres || return 0
  if bin=$(pg_bin) && as_user "$PG_OS_USER" "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1; then
    return 0
  fi
  stop_pid postgres "$pid" postgres 30
}

# ---------------------------------------------------------------------------
# MinIO
# ---------------------------------------------------------------------------
find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    printf '%s\n' /usr/local/go/bin/go
  else
    return 1
  fi
}

# The cached binary exists and (when go is available to tell) was built from the pinned version.
minio_binary_ok() {
  [[ -x $MINIO_BIN ]] || return 1
  local go built
  go=$(find_go) || return 0
  built=$("$go" version -m "$MINIO_BIN" 2>/dev/null | awk '$1 == "mod" && $2 == "'"$MINIO_MODULE"'" {print $3}')
  [[ $built == "$MINIO_VERSION" ]]
}

# Another process (e.g. a background warm-up) is already running `go install github.com/minio/minio@...`.
foreign_minio_build() {
  local p cmd
  for p in /proc/[0-9]*; do
    [[ ${p#/proc/} == "$$" || ${p#/proc/} == "$BASHPID" ]] && continue
    cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    [[ $cmd == *"go install "*"$MINIO_MODULE@"* ]] && return 0
  done
  return 1
}

ensure_minio_binary() {
  local t0 waited=0 go tmpbin
  t0=$(now_ms)
  while foreign_minio_build; do
    if ((waited % 30 == 0)); then log "minio: waiting for a 'go install $MINIO_MODULE' already running on this machine"; fi
    ((waited >= 1200)) && die "minio: the running 'go install $MINIO_MODULE' did not finish within 20 min"
    sleep 2
    waited=$((waited + 2))
  done
  minio_binary_ok && return 0

  mkdir -p "$CACHE_DIR/bin" "$CACHE_DIR/.locks"
  exec 7>"$CACHE_DIR/.locks/minio-build.lock"
  flock 7
  if minio_binary_ok; then
    exec 7>&-
    return 0
  fi
  go=$(find_go) || die "minio: 'go' not found (needed to build $MINIO_MODULE@$MINIO_VERSION); install Go or put it on PATH"
  log "minio: building $MINIO_MODULE@$MINIO_VERSION (takes ~3 min on 2 cores; log: $MINIO_BUILD_LOG)"
  tmpbin=$(mktemp -d "$CACHE_DIR/bin/.build.XXXXXX")
  if ! GOBIN=$tmpbin GOFLAGS='' nice -n 10 "$go" install "$MINIO_MODULE@$MINIO_VERSION" >"$MINIO_BUILD_LOG" 2>&1 7>&-; then
    rm -rf "$tmpbin"
    log_tail "$MINIO_BUILD_LOG"
    die "minio: go install $MINIO_MODULE@$MINIO_VERSION failed; log: $MINIO_BUILD_LOG"
  fi
  mv -f "$tmpbin/minio" "$MINIO_BIN"
  rm -rf "$tmpbin"
  exec 7>&-
  log "minio: built $MINIO_BIN in $(since "$t0")"
}

minio_running() { proc_alive "$(read_pid "$MINIO_PIDFILE")" minio; }
minio_healthy() { minio_running && curl -fs -m 3 -o /dev/null "http://$HOST:$MINIO_PORT/minio/health/live"; }

minio_create_bucket() {
  local code
  code=$(curl -sS -m 10 -o "$RUN_TMP/minio-bucket.out" -w '%{http_code}' -X PUT \
    --aws-sigv4 "aws:amz:us-east-1:s3" -u "$MINIO_USER:$MINIO_PASSWORD" \
    "http://$HOST:$MINIO_PORT/$MINIO_BUCKET") || code=000
  case $code in
    200 | 409) ;; # created / already owned by us
    *)
      cat "$RUN_TMP/minio-bucket.out" >&2 2>/dev/null || true
      die "minio: creating bucket $MINIO_BUCKET failed (HTTP $code); log: $MINIO_LOG"
      ;;
  esac
}

minio_up() {
  local t0 i pid
  t0=$(now_ms)
  ensure_command curl curl
  ensure_minio_binary
  if minio_running; then
    for ((i = 0; i < 60; i++)); do
      if minio_healthy; then
        log "minio: already running (pid $(read_pid "$MINIO_PIDFILE")), reusing"
        minio_create_bucket
        return 0
      fi
      sleep 0.5
    done
    die "minio: running (pid $(read_pid "$MINIO_PIDFILE")) but /minio/health/live does not answer; log: $MINIO_LOG"
  fi
  require_ports_free minio "$MINIO_PORT" "$MINIO_CONSOLE_PORT"

  mkdir -p "$MINIO_DATA"
  rm -f "$MINIO_PIDFILE"
  # The inner sh records its own pid (shellcheck: $$/$@ are meant for it), then becomes minio.
  # shellcheck disable=SC2016
  (
    cd "$MINIO_DIR"
    exec 9>&-
    setsid env MINIO_ROOT_USER="$MINIO_USER" MINIO_ROOT_PASSWORD="$MINIO_PASSWORD" MINIO_UPDATE=off \
      MINIO_CALLHOME_ENABLE=off \
      sh -c 'echo $$ >"$0"; exec "$@"' "$MINIO_PIDFILE" \
      "$MINIO_BIN" server --quiet --anonymous \
      --address "$HOST:$MINIO_PORT" --console-address "$HOST:$MINIO_CONSOLE_PORT" \
      "$MINIO_DATA" </dev/null >>"$MINIO_LOG" 2>&1 &
  )
  for ((i = 0; i < 600; i++)); do
    minio_healthy && break
    pid=$(read_pid "$MINIO_PIDFILE") || true
    if ((i > 10)) && ! proc_alive "$pid" minio; then
      log_tail "$MINIO_LOG"
      die "minio: server exited during start; log: $MINIO_LOG"
    fi
    sleep 0.1
  done
  minio_healthy || {
    log_tail "$MINIO_LOG"
    die "minio: not healthy after 60s; log: $MINIO_LOG"
  }
  minio_create_bucket
  log "minio: ready on $HOST:$MINIO_PORT (console $HOST:$MINIO_CONSOLE_PORT) in $(since "$t0")"
}

minio_down() { stop_pid minio "$(read_pid "$MINIO_PIDFILE" || true)" minio 30; }

# ---------------------------------------------------------------------------
# Elasticsearch
# ---------------------------------------------------------------------------
ensure_java_home() {
  local java
  if ! java=$(command -v java); then
    apt_install openjdk-17-jre-headless
    java=$(command -v java) || die "elasticsearch: no 'java' on PATH after installing openjdk-17-jre-headless"
  fi
  java=$(readlink -f "$java")
  ES_JAVA_HOME=${java%/bin/java}
  [[ -x $ES_JAVA_HOME/bin/java ]] || die "elasticsearch: cannot derive ES_JAVA_HOME from $java"
}

ensure_es_user() {
  id -u "$ES_OS_USER" >/dev/null 2>&1 && return 0
  log "elasticsearch: creating system user $ES_OS_USER"
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin "$ES_OS_USER" 2>/dev/null ||
    id -u "$ES_OS_USER" >/dev/null 2>&1 || die "elasticsearch: useradd $ES_OS_USER failed"
}

es_zip_ok() { [[ -f $ES_ZIP ]] && [[ $(sha512sum "$ES_ZIP" | cut -d' ' -f1) == "$ES_SHA512" ]]; }

ensure_es_unpacked() {
  [[ -f $ES_CACHE_HOME/.unpacked ]] && return 0
  local t0 tmp
  t0=$(now_ms)
  mkdir -p "$CACHE_DIR/.locks"
  exec 6>"$CACHE_DIR/.locks/elasticsearch.lock"
  flock 6
  if [[ -f $ES_CACHE_HOME/.unpacked ]]; then
    exec 6>&-
    return 0
  fi
  ensure_command unzip unzip
  if ! es_zip_ok; then
    if [[ -f $ES_ZIP ]]; then log "elasticsearch: cached $ES_ZIP fails its sha512 check, downloading again"; fi
    ensure_command mvn maven
    log "elasticsearch: fetching $ES_ARTIFACT with Maven"
    rm -rf "$CACHE_DIR/.es-fetch"
    # Maven's local repository lives in the cache too; the artifact is moved out of it, so the
    # zip is kept once.
    mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$CACHE_DIR/m2" "$MVN_DEPENDENCY_PLUGIN:copy" \
      -Dartifact="$ES_ARTIFACT" -DoutputDirectory="$CACHE_DIR/.es-fetch" -Dmdep.overWriteReleases=true ||
      die "elasticsearch: mvn dependency:copy of $ES_ARTIFACT failed"
    mv -f "$CACHE_DIR/.es-fetch/elasticsearch-$ES_VERSION.zip" "$ES_ZIP"
    rm -rf "$CACHE_DIR/.es-fetch" "$CACHE_DIR/m2/org/elasticsearch"
    es_zip_ok || die "elasticsearch: $ES_ZIP does not match the sha512 published on Maven Central"
  fi
  log "elasticsearch: unpacking $ES_ZIP (sha512 ok)"
  tmp=$(mktemp -d "$CACHE_DIR/.unpack.XXXXXX")
  unzip -q "$ES_ZIP" -d "$tmp" || die "elasticsearch: unzip $ES_ZIP failed"
  chmod -R a+rX "$tmp"
  rm -rf "$ES_CACHE_HOME"
  mv "$tmp/elasticsearch-$ES_VERSION" "$ES_CACHE_HOME"
  rm -rf "$tmp"
  touch "$ES_CACHE_HOME/.unpacked"
  exec 6>&-
  log "elasticsearch: unpacked into $ES_CACHE_HOME in $(since "$t0")"
}

# The tree ES runs from: the cache itself when the ES user can read it, otherwise
# (e.g. the cache is under /root, mode 700) a hard-linked mirror inside the state dir.
es_run_home() {
  if as_user "$ES_OS_USER" test -x "$ES_CACHE_HOME/bin/elasticsearch"; then
    printf '%s\n' "$ES_CACHE_HOME"
    return 0
  fi
  if [[ ! -f $ES_MIRROR_HOME/.unpacked ]]; then
    rm -rf "$ES_MIRROR_HOME"
    cp -al "$ES_CACHE_HOME" "$ES_MIRROR_HOME" 2>/dev/null || {
      rm -rf "$ES_MIRROR_HOME"
      cp -a "$ES_CACHE_HOME" "$ES_MIRROR_HOME"
    }
  fi
  printf '%s\n' "$ES_MIRROR_HOME"
}

es_write_config() {
  local home=$1 f
  mkdir -p "$ES_CONF/jvm.options.d"
  for f in jvm.options log4j2.properties; do
    [[ -f $ES_CONF/$f ]] || cp "$home/config/$f" "$ES_CONF/$f"
  done
  {
    echo "# Written by scripts/services.sh on every start; throw-away dev/CI settings."
    echo "cluster.name: reelmart-dev"
    echo "node.name: reelmart-dev-1"
    echo "discovery.type: single-node"
    echo "network.host: $HOST"
    echo "http.port: $ES_HTTP_PORT"
    echo "transport.port: $ES_TRANSPORT_PORT"
    echo "path.data: $ES_DATA"
    echo "path.logs: $ES_LOGS"
    echo "xpack.security.enabled: false"
    echo "cluster.routing.allocation.disk.threshold_enabled: false"
    echo "action.destructive_requires_name: false"
    if [[ -d $home/modules/x-pack-ml ]]; then echo "xpack.ml.enabled: false"; fi
  } >"$ES_CONF/elasticsearch.yml"
  # IPv4 sockets only, so nothing but 127.0.0.1 is ever bound.
  printf -- '-Xms%s\n-Xmx%s\n-Djava.net.preferIPv4Stack=true\n' "$ES_HEAP" "$ES_HEAP" \
    >"$ES_CONF/jvm.options.d/reelmart.options"
}

es_running() { proc_alive "$(read_pid "$ES_PIDFILE")" org.elasticsearch; }
es_healthy() {
  es_running &&
    curl -fs -m 5 -o /dev/null "http://$HOST:$ES_HTTP_PORT/_cluster/health?wait_for_status=yellow&timeout=2s"
}

es_fail() {
  log_tail "$ES_LAUNCH_LOG"
  log_tail "$ES_LOG"
  die "elasticsearch: $*; logs: $ES_LOG and $ES_LAUNCH_LOG"
}

es_up() {
  local t0 i home launcher rc deadline
  t0=$(now_ms)
  ensure_command curl curl
  ensure_java_home
  ensure_es_user
  ensure_es_unpacked
  if es_running; then
    for ((i = 0; i < ES_START_TIMEOUT; i++)); do
      if es_healthy; then
        log "elasticsearch: already running (pid $(read_pid "$ES_PIDFILE")), reusing"
        return 0
      fi
      sleep 1
    done
    es_fail "running (pid $(read_pid "$ES_PIDFILE")) but cluster health is not yellow after ${ES_START_TIMEOUT}s"
  fi
  require_ports_free elasticsearch "$ES_HTTP_PORT" "$ES_TRANSPORT_PORT"

  mkdir -p "$ES_DIR" "$ES_DATA" "$ES_TMP" "$ES_LOGS"
  home=$(es_run_home)
  es_write_config "$home"
  rm -f "$ES_PIDFILE"
  chown -R "$ES_OS_USER:" "$ES_DATA" "$ES_TMP" "$ES_LOGS" "$ES_CONF"
  chown "$ES_OS_USER:" "$ES_DIR"
  check_reachable "$ES_OS_USER" "$ES_DATA"

  log "elasticsearch: starting $ES_VERSION on $(basename "$ES_JAVA_HOME") (heap $ES_HEAP)"
  (
    exec 9>&-
    cd /
    ulimit -n 65535 2>/dev/null || true # ES warns below 65535 open files
    setsid --wait runuser -u "$ES_OS_USER" -- env -i \
      PATH=/usr/local/bin:/usr/bin:/bin HOME="$ES_DIR" LANG=C.UTF-8 \
      ES_JAVA_HOME="$ES_JAVA_HOME" ES_PATH_CONF="$ES_CONF" ES_TMPDIR="$ES_TMP" \
      "$home/bin/elasticsearch" -d -p "$ES_PIDFILE" </dev/null >"$ES_LAUNCH_LOG" 2>&1
  ) &
  launcher=$!
  deadline=$((SECONDS + ES_START_TIMEOUT))
  while ! es_healthy; do
    if [[ -n $launcher ]] && ! kill -0 "$launcher" 2>/dev/null; then
      rc=0
      wait "$launcher" || rc=$?
      launcher=
      ((rc == 0)) || es_fail "launcher exited with status $rc"
    fi
    if [[ -z $launcher ]] && ! es_running; then
      es_fail "server is not running after launch"
    fi
    if ((SECONDS >= deadline)); then
      stop_pid elasticsearch "$(read_pid "$ES_PIDFILE" || true)" org.elasticsearch 30
      es_fail "cluster health not yellow after ${ES_START_TIMEOUT}s (stopped it)"
    fi
    sleep 1
  done
  if [[ -n $launcher ]]; then wait "$launcher" || true; fi
  log "elasticsearch: ready on $HOST:$ES_HTTP_PORT in $(since "$t0")"
}

es_down() { stop_pid elasticsearch "$(read_pid "$ES_PIDFILE" || true)" org.elasticsearch 60; }

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------
take_lock() { # one up/down at a time per state dir; the lock lives in the cache so down leaves nothing behind
  local key
  key=$(printf '%s' "$STATE_DIR" | md5sum | cut -c1-12)
  mkdir -p "$CACHE_DIR/.locks"
  exec 9>"$CACHE_DIR/.locks/state-$key.lock"
  if ! flock -n 9; then
    log "waiting for another 'services.sh' on $STATE_DIR to finish"
    flock 9
  fi
}

canonical_service() {
  case $1 in
    postgres | postgresql | pg) echo postgres ;;
    minio | s3) echo minio ;;
    elasticsearch | elastic | es) echo elasticsearch ;;
    *) die "unknown service '$1' (known: ${ALL_SERVICES[*]})" ;;
  esac
}

cmd_up() {
  local services=() s t0 failed=() pids=() i
  t0=$(now_ms)
  if (($# == 0)); then set -- "${ALL_SERVICES[@]}"; fi
  for s in "$@"; do services+=("$(canonical_service "$s")"); done
  [[ $EUID -eq 0 ]] || die "'up' must run as root (it installs packages, creates users and switches to them)"

  take_lock
  ensure_state_dir
  mkdir -p "$CACHE_DIR"
  # The services start in parallel; each step prints its own progress lines.
  for s in "${services[@]}"; do
    case $s in
      postgres) (pg_up) & ;;
      minio) (minio_up) & ;;
      elasticsearch) (es_up) & ;;
    esac
    pids+=($!)
  done
  for i in "${!services[@]}"; do
    wait "${pids[$i]}" || failed+=("${services[$i]}")
  done
  if ((${#failed[@]})); then
    die "up failed for: ${failed[*]} (logs in $LOG_DIR)"
  fi
  log "up: ${services[*]} healthy in $(since "$t0")"
}

cmd_down() {
  local t0
  t0=$(now_ms)
  take_lock
  if [[ ! -d $STATE_DIR ]]; then
    log "down: $STATE_DIR does not exist, nothing to stop"
    return 0
  fi
  [[ -f $STATE_MARKER ]] || die "$STATE_DIR was not created by this script; not touching it"
  es_down &
  minio_down &
  pg_down &
  wait
  rm -rf "$STATE_DIR"
  log "down: stopped and removed $STATE_DIR in $(since "$t0") (cache kept: $CACHE_DIR)"
}

cmd_env() {
  cat <<EOF
export REELMART_TEST_POSTGRES='postgres://$PG_APP_USER:$PG_APP_PASSWORD@$HOST:$PG_PORT/$PG_APP_DB?sslmode=disable'
export REELMART_TEST_S3='s3://$MINIO_USER:$MINIO_PASSWORD@$HOST:$MINIO_PORT/$MINIO_BUCKET?secure=false'
export REELMART_TEST_ELASTIC='http://$HOST:$ES_HTTP_PORT'
EOF
}

cmd_status() {
  local bad=0 pid
  if pg_healthy; then
    printf '%-14s healthy  %s:%s  pid %s\n' postgres "$HOST" "$PG_PORT" "$(read_pid "$PG_DATA/postmaster.pid")"
  else
    printf '%-14s DOWN     %s:%s  log %s\n' postgres "$HOST" "$PG_PORT" "$PG_LOG"
    bad=1
  fi
  if minio_healthy; then
    printf '%-14s healthy  %s:%s  pid %s\n' minio "$HOST" "$MINIO_PORT" "$(read_pid "$MINIO_PIDFILE")"
  else
    printf '%-14s DOWN     %s:%s  log %s\n' minio "$HOST" "$MINIO_PORT" "$MINIO_LOG"
    bad=1
  fi
  if es_healthy; then
    pid=$(read_pid "$ES_PIDFILE")
    printf '%-14s healthy  %s:%s  pid %s\n' elasticsearch "$HOST" "$ES_HTTP_PORT" "$pid"
  else
    printf '%-14s DOWN     %s:%s  log %s\n' elasticsearch "$HOST" "$ES_HTTP_PORT" "$ES_LOG"
    bad=1
  fi
  return "$bad"
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -n 's/^# \{0,1\}//p' >&2
  exit 2
}

main() {
  (($# > 0)) || usage
  local cmd=$1
  shift
  RUN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/reelmart-services-run.XXXXXX")
  trap 'rm -rf "$RUN_TMP"' EXIT
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    env) cmd_env ;;
    status) cmd_status ;;
    -h | --help | help) usage ;;
    *)
      log "unknown command '$cmd'"
      usage
      ;;
  esac
}

main "$@"
