#!/usr/bin/env bash
# Search over HTTP with wrk (BENCHMARKS.md), release builds, loopback only, bounded runs:
#   - bare HTTP baseline: Benchmarks' `bare-http` (a Hummingbird 2 route returning a constant
#     body as large as the mean cached answer, measured while warming the cache);
#   - cached search: `almanac serve` with a private redis-server, the 1000 queries of
#     queries.txt warmed into the cache first, then cycled by wrk (every request a hit);
#   - uncached search: `almanac serve --no-cache`, the same 1000 queries cycled (top 20).
# Each at 8 connections (the target's figure) and 64 (the bare-HTTP reference), 1 wrk
# thread: wrk shares the 2 cores with the server, as in the BENCHMARKS.md baseline.
# Reports req/s, p50/p99 and the server's RSS; output in bench/out/http-<timestamp>.txt.
#
# ALMANAC_BEFORE_BIN=... adds a second build (before a change) to the same run.
#   [ALMANAC_BIN=...] [ALMANAC_BEFORE_BIN=...] [BARE_BIN=...] bench/http.sh [--products FILE] [--duration 15s] [--skip-build]
# The almanac binary is built inside the Benchmarks package (one release build for all).
# Optional: without wrk (Debian package `wrk`) it says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
SHARED="${ALMANAC_BENCH_DATA:-$ROOT/../shared/data}"
PRODUCTS="$SHARED/products.ndjson"
QUERIES="$SHARED/queries.txt"
DURATION=15s
SKIP_BUILD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --products) PRODUCTS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if ! command -v wrk >/dev/null; then
  echo "wrk is not installed (apt-get install wrk): skipping the HTTP benchmark"
  exit 0
fi

mkdir -p bench/out
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="bench/out/http-$STAMP.txt"
exec > >(tee "$OUT") 2>&1
echo "# bench/http.sh — $(date -u +%FT%TZ)"
echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$SKIP_BUILD" = 0 ]; then
  echo "building (release)..."
  (cd Benchmarks && swift build -c release --product almanac 2>&1 | tail -1)
  (cd Benchmarks && swift build -c release --product bare-http 2>&1 | tail -1)
fi
# ALMANAC_BIN / BARE_BIN: measure other builds (e.g. a copy of the binary before a change).
ALMANAC="${ALMANAC_BIN:-$(cd Benchmarks && swift build -c release --show-bin-path)/almanac}"
BARE="${BARE_BIN:-$(cd Benchmarks && swift build -c release --show-bin-path)/bare-http}"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
wait_http() { for _ in $(seq 1 1200); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1"; return 1; }
rss() { awk '/VmRSS|VmHWM/ {printf "%s %d MiB  ", $1, $2/1024}' "/proc/$1/status"; echo; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/almanac-http-XXXXXX")
PIDS=()
REDIS_PORT=$(free_port)
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || { [ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null; } || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Each build imports the corpus into a data directory of its own: builds may differ in
# their index layout (a newer one shards the product index), and a server may migrate what
# it opens.
load_data() { # binary directory
  echo "loading $(wc -l < "$PRODUCTS") products with $1..."
  "$1" import products "$PRODUCTS" --tenant bench --data "$2" --quiet >/dev/null 2>"$WORK/import.err" \
    || { tail -5 "$WORK/import.err"; exit 1; }
  "$1" client create --data "$2" --tenant bench --name bench --scopes "catalogue:read" > "$WORK/client.json"
  CLIENT_ID=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['client_id'])" "$WORK/client.json")
  CLIENT_SECRET=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['client_secret'])" "$WORK/client.json")
}

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
  --dir "$WORK" --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

# The wrk script: cycle through the 1000 queries (form-encoded), top 20, with the token.
python3 - "$QUERIES" > "$WORK/paths.txt" <<'PY'
import sys, urllib.parse
for q in open(sys.argv[1]):
    q = q.strip()
    if q:
        print("/v1/products/search?" + urllib.parse.urlencode({"q": q, "limit": 20}))
PY
cat > "$WORK/cycle.lua" <<LUA
local paths = {}
for line in io.lines("$WORK/paths.txt") do paths[#paths + 1] = line end
local i = 0
local token = os.getenv("TOKEN") or ""
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Authorization"] = "Bearer " .. token })
end
LUA
cat > "$WORK/constant.lua" <<LUA
request = function() return wrk.format("GET", "/v1/products/search?q=kettle&limit=20") end
LUA

run_wrk() { # label connections url script
  echo "### $1 — $2 connections, 1 thread, $DURATION"
  wrk -t1 -c"$2" -d"$DURATION" --latency -s "$4" "$3" | grep -E "Requests/sec|Latency  |50%|75%|90%|99%|Non-2xx|Socket errors"
}

start_almanac() { # binary port extra-args...
  local bin=$1 port=$2; shift 2
  LOG_LEVEL=warning "$bin" serve --data "$DATA" --port "$port" "$@" > "$WORK/serve-$port.log" 2>&1 &
  ALMANAC_PID=$!; PIDS+=("$ALMANAC_PID")
  wait_http "http://127.0.0.1:$port/ready"
  local reply
  reply=$(curl -s "http://127.0.0.1:$port/v1/auth/token" -d grant_type=client_credentials \
    -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET")
  TOKEN=$(python3 -c "import json,sys;print(json.loads(sys.argv[1])['access_token'])" "$reply" 2>/dev/null) \
    || { echo "no token from $bin: $reply"; tail -5 "$WORK/serve-$port.log"; exit 1; }
  export TOKEN
}

# ALMANAC_BEFORE_BIN: a build from before a change, measured in the same run (same data,
# same Redis, same machine state), each figure beside the other.
BUILDS=("after=$ALMANAC")
[ -n "${ALMANAC_BEFORE_BIN:-}" ] && BUILDS=("before=$ALMANAC_BEFORE_BIN" "after=$ALMANAC")
MEAN_BYTES=0
for build in "${BUILDS[@]}"; do
  label=${build%%=*}; bin=${build#*=}
  DATA="$WORK/data-$label"
  load_data "$bin" "$DATA"
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  PORT=$(free_port)
  start_almanac "$bin" "$PORT" --redis "redis://127.0.0.1:$REDIS_PORT"
  echo; echo "## almanac ($label: $bin), cached (Redis at 127.0.0.1:$REDIS_PORT; the 1000 queries warmed first)"
  : > "$WORK/sizes.txt"
  while read -r p; do
    curl -sf -o /dev/null -w '%{size_download}\n' "http://127.0.0.1:$PORT$p" -H "Authorization: Bearer $TOKEN" >> "$WORK/sizes.txt"
  done < "$WORK/paths.txt"
  MEAN_BYTES=$(awk '{s+=$1} END {printf "%d", s/NR}' "$WORK/sizes.txt")
  echo "mean cached answer: $MEAN_BYTES bytes"
  curl -s "http://127.0.0.1:$PORT$(head -1 "$WORK/paths.txt")" -H "Authorization: Bearer $TOKEN" | python3 -c 'import json,sys;d=json.load(sys.stdin);print("check: cache =", d.get("cache"), "took_ms =", d.get("took_ms"))'
  run_wrk "cached $label" 8 "http://127.0.0.1:$PORT" "$WORK/cycle.lua"
  run_wrk "cached $label" 64 "http://127.0.0.1:$PORT" "$WORK/cycle.lua"
  echo "almanac serve (cached, $label) RSS: $(rss "$ALMANAC_PID")"
  kill -TERM "$ALMANAC_PID"; wait "$ALMANAC_PID" 2>/dev/null || true

  PORT=$(free_port)
  start_almanac "$bin" "$PORT" --no-cache
  echo; echo "## almanac ($label), uncached (--no-cache)"
  curl -s "http://127.0.0.1:$PORT$(head -1 "$WORK/paths.txt")" -H "Authorization: Bearer $TOKEN" | python3 -c 'import json,sys;d=json.load(sys.stdin);print("check: cache =", d.get("cache"), "total =", d.get("total"))'
  run_wrk "uncached $label" 8 "http://127.0.0.1:$PORT" "$WORK/cycle.lua"
  echo "almanac serve (uncached, $label) RSS: $(rss "$ALMANAC_PID")"
  kill -TERM "$ALMANAC_PID"; wait "$ALMANAC_PID" 2>/dev/null || true
done

# Bare HTTP, answering a body of the mean cached answer's size.
BARE_PORT=$(free_port)
"$BARE" "$BARE_PORT" "$MEAN_BYTES" > "$WORK/bare.log" 2>&1 &
BARE_PID=$!; PIDS+=("$BARE_PID")
wait_http "http://127.0.0.1:$BARE_PORT/health"
echo; echo "## bare HTTP (Hummingbird 2 constant route, $(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$BARE_PORT/v1/products/search") bytes)"
run_wrk "bare" 8 "http://127.0.0.1:$BARE_PORT" "$WORK/constant.lua"
run_wrk "bare" 64 "http://127.0.0.1:$BARE_PORT" "$WORK/constant.lua"
kill -TERM "$BARE_PID"; wait "$BARE_PID" 2>/dev/null || true

echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "written: $OUT"
