#!/usr/bin/env bash
# What `durability` costs (docs/operations.md): single PUTs at 1 and 16 concurrent writers
# (wrk, every request a new product) and a bulk of 10,000 lines (curl, best of 3), once
# with `durability: "fsync"` (synchronous=FULL, group commit), once with "process"
# (synchronous=NORMAL), and once with fsync but no group commit (`group_commit_max_writes:
# 1`). Release build, loopback only, data directory on a real disk (tmpfs would make fsync
# free). Also reports how many writes shared a commit.
#
#   [ALMANAC_BIN=...] bench/durability.sh [--duration 15s] [--skip-build] [--dir DIR]
# Needs wrk (Debian package `wrk`); without it the script says so and exits 0.
# Output: a table on stdout and in bench/out/durability-<timestamp>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
DURATION=15s
SKIP_BUILD=0
BASE="${TMPDIR:-/var/tmp}"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --dir) BASE="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if ! command -v wrk >/dev/null; then
  echo "wrk is not installed (apt-get install wrk): skipping the durability benchmark"
  exit 0
fi
if [ "$(stat -f -c %T "$BASE")" = tmpfs ]; then
  echo "$BASE is a tmpfs, where fsync costs nothing: pass --dir on a real disk" >&2
  exit 2
fi

mkdir -p bench/out
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="bench/out/durability-$STAMP.txt"
exec > >(tee "$OUT") 2>&1
echo "# bench/durability.sh — $(date -u +%FT%TZ)"
echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "data directory on: $(df -P "$BASE" | tail -1 | awk '{print $1}') ($(stat -f -c %T "$BASE"))"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$SKIP_BUILD" = 0 ] && [ -z "${ALMANAC_BIN:-}" ]; then
  echo "building (release)..."
  (cd Benchmarks && swift build -c release --product almanac 2>&1 | tail -1)
fi
ALMANAC="${ALMANAC_BIN:-$(cd Benchmarks && swift build -c release --show-bin-path)/almanac}"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
wait_http() { for _ in $(seq 1 300); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1"; return 1; }
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v n="$1" '$1 == n {printf "%d\n", $2}'; }

WORK=$(mktemp -d "$BASE/almanac-durability-XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Every request a new product: ids from a per-thread counter and a per-run prefix.
cat > "$WORK/put.lua" <<'LUA'
local counter = 0
local prefix = tostring(os.time()) .. "-" .. tostring(math.random(1000000))
local token = os.getenv("TOKEN") or ""
local body = '{"title":"Durable kettle","brand":"Acme","category":["home","kitchen"],"price":2999,"currency":"EUR","tags":["kitchen","steel"],"description":"A kettle written by the durability benchmark, about three hundred bytes of text so that each write carries a realistic record, its change row and its timeline event into one transaction."}'
request = function()
  counter = counter + 1
  return wrk.format("PUT", "/v1/products/d-" .. prefix .. "-" .. counter,
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
LUA
python3 - "$WORK/bulk.ndjson" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(10_000):
        f.write(json.dumps({"id": f"bulk-{i}", "title": f"Bulk kettle {i}", "brand": "Acme", "price": i,
                            "currency": "EUR", "tags": ["kitchen"], "description": "x" * 200}) + "\n")
PY

declare -A RESULT
# fsync-alone: fsync without group commit (`group_commit_max_writes: 1`), to show what sharing
# the fsync buys.
for mode in fsync process fsync-alone; do
  DATA="$WORK/data-$mode"
  mkdir -p "$DATA"
  # The write rate limit is per client (100/s by default): lifted for the benchmark.
  durability=${mode%-alone}
  group=256; [ "$mode" = fsync-alone ] && group=1
  cat > "$WORK/config-$mode.json" <<JSON
{"durability": "$durability", "group_commit_max_writes": $group, "writes_per_second": 1000000, "write_burst": 1000000}
JSON
  "$ALMANAC" client create --data "$DATA" --tenant bench --name bench --scopes "catalogue:read catalogue:write" > "$WORK/client-$mode.json"
  CLIENT_ID=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['client_id'])" "$WORK/client-$mode.json")
  CLIENT_SECRET=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['client_secret'])" "$WORK/client-$mode.json")
  PORT=$(free_port)
  LOG_LEVEL=warning "$ALMANAC" serve --data "$DATA" --port "$PORT" --no-cache --config "$WORK/config-$mode.json" > "$WORK/serve-$mode.log" 2>&1 &
  SERVER=$!; PIDS+=("$SERVER")
  wait_http "http://127.0.0.1:$PORT/ready"
  export TOKEN=$(curl -sf "http://127.0.0.1:$PORT/v1/auth/token" -d grant_type=client_credentials \
    -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET" | python3 -c "import json,sys;print(json.load(sys.stdin)['access_token'])")
  echo
  echo "## durability: $mode, group_commit_max_writes $group ($(curl -s "http://127.0.0.1:$PORT/ready" | python3 -c 'import json,sys;print("ready says durability =", json.load(sys.stdin)["durability"])'))"
  for c in 1 16; do
    before_commits=$(metric almanac_store_commits_total); before_writes=$(metric almanac_store_grouped_writes_total)
    echo "### single PUTs, $c concurrent writer(s), $DURATION"
    wrk -t1 -c"$c" -d"$DURATION" --latency -s "$WORK/put.lua" "http://127.0.0.1:$PORT" > "$WORK/wrk.txt"
    grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors" "$WORK/wrk.txt"
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")
    commits=$(( $(metric almanac_store_commits_total) - before_commits ))
    writes=$(( $(metric almanac_store_grouped_writes_total) - before_writes ))
    mean=$(python3 -c "print(f'{$writes/max($commits,1):.1f}')")
    echo "commits: $commits for $writes writes (mean group $mean)"
    RESULT[$mode,$c]="$rps|$p50|$p99|$mean"
  done
  echo "### bulk, 10,000 lines (best of 3)"
  best=999999
  for i in 1 2 3; do
    t=$(curl -s -o /dev/null -w '%{time_total}' -X POST "http://127.0.0.1:$PORT/v1/products/_bulk" \
      -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/x-ndjson' --data-binary @"$WORK/bulk.ndjson")
    echo "run $i: ${t}s"
    best=$(python3 -c "print(min($best, $t))")
  done
  RESULT[$mode,bulk]=$(python3 -c "print(f'{10000/$best:,.0f} lines/s ({$best:.2f} s)')")
  kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true
done

echo
echo "## summary"
echo "| durability | 1 writer: PUT/s, p50, p99 | 16 writers: PUT/s, p50, p99, writes per commit | bulk of 10,000 |"
echo "|---|---|---|---|"
for mode in fsync process fsync-alone; do
  IFS='|' read -r r1 a1 b1 g1 <<< "${RESULT[$mode,1]}"
  IFS='|' read -r r16 a16 b16 g16 <<< "${RESULT[$mode,16]}"
  echo "| $mode | $r1, $a1, $b1 | $r16, $a16, $b16, $g16 | ${RESULT[$mode,bulk]} |"
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "written: $OUT"
