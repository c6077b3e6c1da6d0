#!/usr/bin/env bash
# The feed benchmark (make bench-feed): GET /feed for signed-in viewers at a
# fixed rate with vegeta, on Elasticsearch holding 100,000 videos and 10,000
# viewers' profiles; in the same run, the same candidate multi-searches sent
# straight to Elasticsearch at the same rate; then the same feed run on
# Bleve. docs/BENCHMARKS.md has the figures.
#
#   scripts/bench-feed.sh            RATE=200 DURATION=30s VIDEOS=100000 VIEWERS=10000 by default
#   ENGINES=elastic scripts/bench-feed.sh   without the Bleve leg (its index
#                                           build alone takes ~18 min here)
#
# It needs the services of scripts/services.sh up (PostgreSQL for a
# throw-away database, and the Elasticsearch distribution it installed).
# The shared Elasticsearch node is left alone: the benchmark starts its own
# node from the same distribution, on ports 59210/59310, with a heap of
# ES_HEAP (default 1g, against the shared node's 512m: 100,000 documents
# and 200 searches a second want room for the filter caches), and stops it
# at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-200}
DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-10s}
VIDEOS=${VIDEOS:-100000}
VIEWERS=${VIEWERS:-10000}
ES_HEAP=${ES_HEAP:-1g}
ENGINES=${ENGINES:-elastic bleve}
ES_PORT=59210
ES_TRANSPORT=59310
ADDR=127.0.0.1:58091
VEGETA=github.com/tsenart/vegeta/v12@v12.13.0
ES_OS_USER=reelmart-es
SERVICES_DIR=${REELMART_SERVICES_DIR:-/tmp/reelmart-services}

eval "$(scripts/services.sh env)"
: "${REELMART_TEST_POSTGRES:?start the services first: make services-up}"

OUT=$(mktemp -d /tmp/reelmart-bench-feed.XXXXXX)
chmod 755 "$OUT"
ES_DIR=$OUT/es
SERVE_PID=
ES_PID=
log() { printf '%s bench-feed: %s\n' "$(date +%T)" "$*" >&2; }

cleanup() {
  if [[ -n $SERVE_PID ]]; then
    kill "$SERVE_PID" 2>/dev/null || true
    wait "$SERVE_PID" 2>/dev/null || true
  fi
  if [[ -f $ES_DIR/es.pid ]]; then kill "$(cat "$ES_DIR/es.pid")" 2>/dev/null || true; fi
  if [[ -n $ES_PID ]]; then wait "$ES_PID" 2>/dev/null || true; fi
  if [[ -f $OUT/db-name ]]; then go run ./bench/feedbench drop -admin "$REELMART_TEST_POSTGRES" -db "$(cat "$OUT/db-name")" || true; fi
  log "results kept in $OUT"
}
trap cleanup EXIT

# --- the benchmark's own Elasticsearch node --------------------------------
es_home=$SERVICES_DIR/elasticsearch/home
[[ -x $es_home/bin/elasticsearch ]] || es_home=${REELMART_CACHE_DIR:-$HOME/.cache/reelmart}/elasticsearch-8.19.21
[[ -x $es_home/bin/elasticsearch ]] || { log "no Elasticsearch distribution: run make services-up"; exit 1; }
java=$(command -v java)
mkdir -p "$ES_DIR/config/jvm.options.d" "$ES_DIR/data" "$ES_DIR/logs" "$ES_DIR/tmp"
cp "$es_home/config/jvm.options" "$es_home/config/log4j2.properties" "$ES_DIR/config/"
cat >"$ES_DIR/config/elasticsearch.yml" <<EOF
cluster.name: reelmart-bench
node.name: reelmart-bench-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: $ES_PORT
transport.port: $ES_TRANSPORT
path.data: $ES_DIR/data
path.logs: $ES_DIR/logs
xpack.security.enabled: false
cluster.routing.allocation.disk.threshold_enabled: false
EOF
printf -- '-Xms%s\n-Xmx%s\n-Djava.net.preferIPv4Stack=true\n' "$ES_HEAP" "$ES_HEAP" >"$ES_DIR/config/jvm.options.d/bench.options"
chown -R "$ES_OS_USER:" "$ES_DIR"
# Its ports lie in the kernel's ephemeral range, so a client socket (say,
# one left in TIME_WAIT by an earlier benchmark) can hold one for a while:
# a node that dies binding is started again, three times at most.
start_es() {
  log "starting a benchmark Elasticsearch node (heap $ES_HEAP) on 127.0.0.1:$ES_PORT"
  runuser -u "$ES_OS_USER" -- env -i PATH=/usr/bin:/bin HOME="$ES_DIR" ES_JAVA_HOME="${java%/bin/java}" \
    ES_PATH_CONF="$ES_DIR/config" ES_TMPDIR="$ES_DIR/tmp" "$es_home/bin/elasticsearch" -p "$ES_DIR/es.pid" >"$ES_DIR/launch.log" 2>&1 &
  ES_PID=$!
  for _ in $(seq 240); do
    curl -fs -m 2 -o /dev/null "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s" && return 0
    kill -0 "$ES_PID" 2>/dev/null || break
    sleep 1
  done
  wait "$ES_PID" 2>/dev/null || true
  ES_PID=
  return 1
}
for attempt in 1 2 3; do
  start_es && break
  if ! grep -qs "Address already in use" "$ES_DIR/launch.log" "$ES_DIR/logs/reelmart-bench.log" || [[ $attempt == 3 ]]; then
    log "the benchmark node did not start; see $ES_DIR"
    exit 1
  fi
  log "a port of the benchmark node is in use; trying again in 10 s"
  sleep 10
done

# --- the world, the indexes and the targets -------------------------------
with_bleve=false
[[ " $ENGINES " == *" bleve "* ]] && with_bleve=true
log "loading $VIDEOS videos and $VIEWERS viewers"
go run ./bench/feedbench load -admin "$REELMART_TEST_POSTGRES" -es "http://127.0.0.1:$ES_PORT?prefix=bench-" \
  -addr "$ADDR" -out "$OUT" -videos "$VIDEOS" -viewers "$VIEWERS" -bleve="$with_bleve"
go build -o "$OUT/reelmart" ./cmd/reelmart

serve() { # search URL
  REELMART_DATABASE_URL=$(cat "$OUT/db-url") REELMART_SEARCH_URL=$1 REELMART_DATA_DIR=$OUT/data \
    REELMART_ADDR=$ADDR REELMART_WORKERS=1 "$OUT/reelmart" serve >>"$OUT/serve.log" 2>&1 &
  SERVE_PID=$!
  for _ in $(seq 60); do
    curl -fs -o /dev/null "http://$ADDR/readyz" && return 0
    sleep 0.5
  done
  log "serve did not get ready; see $OUT/serve.log"
  exit 1
}
stop_serve() { kill "$SERVE_PID"; wait "$SERVE_PID" || true; SERVE_PID=; }

attack() { # name targets-file
  go run "$VEGETA" attack -rate="$RATE/s" -duration="$DURATION" -timeout=5s -targets="$2" >"$OUT/$1.bin"
  go run "$VEGETA" report -type=json "$OUT/$1.bin" >"$OUT/$1.json"
  go run "$VEGETA" report "$OUT/$1.bin" >"$OUT/$1.txt"
  jq -r --arg n "$1" '"\($n): p50 \(.latencies["50th"]/1e6|.*100|round/100) ms, p99 \(.latencies["99th"]/1e6|.*100|round/100) ms, throughput \(.throughput|.*10|round/10)/s, success \(.success*100)%"' "$OUT/$1.json"
}
warm() { # targets-file
  tail -n 6000 "$1" >"$OUT/warm-targets.txt"
  go run "$VEGETA" attack -rate="$RATE/s" -duration="$WARMUP" -timeout=5s -targets="$OUT/warm-targets.txt" >/dev/null
}

log "Elasticsearch: warm-up $WARMUP, then $RATE requests/s for $DURATION"
serve "http://127.0.0.1:$ES_PORT?prefix=bench-"
warm "$OUT/feed-targets.txt"
{
  attack feed-elastic "$OUT/feed-targets.txt"
  attack raw-elastic "$OUT/es-targets.txt"
} | tee "$OUT/summary.txt"
stop_serve

if $with_bleve; then
  log "Bleve: the same feed run"
  serve "bleve://$OUT/bleve"
  warm "$OUT/feed-targets.txt"
  attack feed-bleve "$OUT/feed-targets.txt" | tee -a "$OUT/summary.txt"
  stop_serve
fi

echo "candidates ranked per request: $(jq -c . "$OUT/candidates.json")" | tee -a "$OUT/summary.txt"
echo "Elasticsearch heap: $ES_HEAP (benchmark node); machine: $(nproc) cores" | tee -a "$OUT/summary.txt"
