#!/usr/bin/env bash
# The large-catalogue run of issue 14 (item 7): a deterministic catalogue of COPIES x the
# corpus (bench/scale_products.py: id suffixes, shuffled title words; about 2M products at
# the default 30), imported with the real CLI (release build), then searched uncached at
# 100 connections with wrk. Reports import time, index and store size, peak RSS of the
# import and of the server, and search mean/p99 beside Typesense's published figures for
# 2.2M documents (3.6 min import, 11 ms mean at 104 concurrent queries, 4 vCPU) and the
# issue's targets (import < 15 min, mean < 11 ms at 100 connections, RSS < 2 GiB).
# Output: bench/out/scale-<timestamp>.txt. The generated file lives in the work directory
# and is removed at the end (never committed).
#
#   [ALMANAC_BIN=...] bench/scale.sh [--copies 30] [--duration 30s] [--skip-build] [--keep DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
SHARED="${ALMANAC_BENCH_DATA:-$ROOT/../shared/data}"
COPIES=30
DURATION=30s
SKIP_BUILD=0
KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --copies) COPIES="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --keep) KEEP="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 0; }

mkdir -p bench/out
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="bench/out/scale-$STAMP.txt"
exec > >(tee "$OUT") 2>&1
echo "# bench/scale.sh — $(date -u +%FT%TZ)"
echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$SKIP_BUILD" = 0 ]; then
  (cd Benchmarks && swift build -c release --product almanac 2>&1 | tail -1)
fi
ALMANAC="${ALMANAC_BIN:-$(cd Benchmarks && swift build -c release --show-bin-path)/almanac}"

WORK=${KEEP:-$(mktemp -d "${TMPDIR:-/tmp}/almanac-scale-XXXXXX")}
mkdir -p "$WORK"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && { kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; } || true
  rm -f "$WORK/products.ndjson"
  [ -n "$KEEP" ] || rm -rf "$WORK"
}
trap cleanup EXIT

python3 bench/scale_products.py --copies "$COPIES" --products "$SHARED/products.ndjson" --out "$WORK/products.ndjson"
LINES=$(wc -l < "$WORK/products.ndjson")
echo "generated: $LINES products, $(du -h "$WORK/products.ndjson" | cut -f1)"

START=$(date +%s.%N)
/usr/bin/time -f "%e %M" -o "$WORK/import.time" \
  "$ALMANAC" import products "$WORK/products.ndjson" --tenant bench --data "$WORK/data" --quiet > /dev/null 2> "$WORK/import.err" \
  || { tail -20 "$WORK/import.err"; exit 1; }
read -r IMPORT_S IMPORT_KB < "$WORK/import.time"
echo "import (durable + indexed): $IMPORT_S s = $(python3 -c "print(round($LINES/$IMPORT_S))") products/s; peak RSS $((IMPORT_KB / 1024)) MiB"
echo "store $(du -sh "$WORK/data/almanac.sqlite3" | cut -f1), product index $(du -sh "$WORK/data/index/products" | cut -f1)"

"$ALMANAC" client create --data "$WORK/data" --tenant bench --name bench --scopes "catalogue:read" > "$WORK/client.json"
CLIENT_ID=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['client_id'])" "$WORK/client.json")
CLIENT_SECRET=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['client_secret'])" "$WORK/client.json")
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
RESTART=$(date +%s.%N)
LOG_LEVEL=warning "$ALMANAC" serve --data "$WORK/data" --port "$PORT" --no-cache > "$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1 && break; sleep 0.1; done
echo "start to ready: $(python3 -c "import time;print(round(time.time()-$RESTART,2))") s"
TOKEN=$(curl -sf "http://127.0.0.1:$PORT/v1/auth/token" -d grant_type=client_credentials \
  -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET" | python3 -c "import json,sys;print(json.load(sys.stdin)['access_token'])")
export TOKEN
python3 - "$SHARED/queries.txt" > "$WORK/paths.txt" <<'PY'
import sys, urllib.parse
for q in open(sys.argv[1]):
    if q.strip():
        print("/v1/products/search?" + urllib.parse.urlencode({"q": q.strip(), "limit": 20}))
PY
cat > "$WORK/cycle.lua" <<LUA
local paths = {}
for line in io.lines("$WORK/paths.txt") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") })
end
LUA
curl -sf "http://127.0.0.1:$PORT$(head -1 "$WORK/paths.txt")" -H "Authorization: Bearer $TOKEN" \
  | python3 -c 'import json,sys;d=json.load(sys.stdin);print("check: total =", d["total"], "cache =", d["cache"])'
echo "## uncached search, 100 connections, 2 wrk threads, $DURATION (wrk shares the cores)"
wrk -t2 -c100 -d"$DURATION" --latency -s "$WORK/cycle.lua" "http://127.0.0.1:$PORT" \
  | grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors"
echo "server RSS: $(awk '/VmRSS|VmHWM/ {printf "%s %d MiB  ", $1, $2/1024}' "/proc/$SERVER_PID/status")"
echo
echo "Typesense (published, 2.2M documents, 4 vCPU): import 3.6 min, 11 ms mean at 104 concurrent queries."
echo "Targets (issue 14): import < 15 min, mean < 11 ms at 100 connections, RSS < 2 GiB."
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "written: $OUT"
