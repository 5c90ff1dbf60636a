#!/usr/bin/env bash
# Restart to ready (issue 14, item 6): how long after `almanac serve` starts on a data
# directory holding the events corpus `/health` first answers and `/ready` turns 200,
# for each binary given (e.g. the current main's release build as the baseline, this
# tree's as the candidate), several runs each, plus this tree's binary with the column
# files removed (the months rebuilt from the store, as every start did before).
# Output: bench/out/startup-<timestamp>.txt (git-ignored).
#
#   bench/startup.sh --after BIN [--before BIN] [--events FILE | --data DIR] [--runs N]
#
# Without --data, the events are imported first (with --after) into a fresh directory,
# which is removed at the end. Build with `nice -n 10 swift build -c release --product almanac`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
EVENTS="${ALMANAC_BENCH_DATA:-$ROOT/../shared/data}/events.ndjson"
RUNS=3
AFTER=""
BEFORE=""
DATA=""
PORT=${ALMANAC_BENCH_PORT:-18431}
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --after) AFTER="$2"; shift 2 ;;
    --before) BEFORE="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$AFTER" ] || { echo "--after BIN is required" >&2; exit 2; }

mkdir -p bench/out
OUT="bench/out/startup-$(date -u +%Y%m%dT%H%M%SZ).txt"
exec > >(tee "$OUT") 2>&1
echo "# bench/startup.sh — $(date -u +%FT%TZ)"
echo "machine: nproc $(nproc); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

OWN_DATA=0
if [ -z "$DATA" ]; then
  DATA=$(mktemp -d "${TMPDIR:-/tmp}/almanac-startup-XXXXXX")
  OWN_DATA=1
  echo "importing $EVENTS ($(wc -l < "$EVENTS") lines) with $AFTER ..."
  /usr/bin/time -f "import: wall %e s, max RSS %M kB" "$AFTER" import events "$EVENTS" --tenant bench --data "$DATA" --quiet \
    > /dev/null 2> "$DATA.import.err" || { cat "$DATA.import.err"; exit 1; }
  grep -E "indexed in|import:" "$DATA.import.err" || true
  rm -f "$DATA.import.err"
fi
files() { find "$DATA/index/events" -name columns.bin; }
echo "data: $DATA ($(du -sh "$DATA" | cut -f1)), column files: $(files | wc -l)$( [ -n "$(files)" ] && echo ", $(files | xargs du -ch | tail -1 | cut -f1)")"

now() { date +%s.%N; }
code() { curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$PORT$1" 2>/dev/null || true; }

# One start: prints "health H s, ready R s" (seconds from exec), then stops the server.
one_start() {
  local bin="$1" start health="" ready="" t
  start=$(now)
  LOG_LEVEL=warning "$bin" serve --data "$DATA" --host 127.0.0.1 --port "$PORT" --no-cache 2> "$DATA.serve.err" &
  local pid=$!
  while :; do
    t=$(now)
    if [ -z "$health" ] && [ "$(code /health)" = 200 ]; then health=$(echo "$t - $start" | bc); fi
    if [ -n "$health" ] && [ "$(code /ready)" = 200 ]; then ready=$(echo "$(now) - $start" | bc); break; fi
    if ! kill -0 $pid 2>/dev/null; then echo "server exited:"; cat "$DATA.serve.err"; return 1; fi
    if [ "$(echo "$t - $start > 120" | bc)" = 1 ]; then echo "timed out"; break; fi
    sleep 0.02
  done
  kill -TERM $pid; wait $pid || true
  printf "health %.2f s, ready %.2f s (load %s)\n" "$health" "$ready" "$(cut -d' ' -f1 /proc/loadavg)"
}

runs() {
  local label="$1" bin="$2"
  echo
  echo "## $label: $bin"
  for i in $(seq 1 "$RUNS"); do one_start "$bin"; done
}

# A first start with the candidate writes any missing column file (the import wrote them).
[ -n "$BEFORE" ] && runs "before (columns from SQLite at every start, port closed meanwhile)" "$BEFORE"
runs "after (columns from the month files)" "$AFTER"
echo
echo "## after, column files removed before each start (every month rebuilt from SQLite)"
for i in $(seq 1 "$RUNS"); do
  find "$DATA/index/events" -name columns.bin -delete
  one_start "$AFTER"
done
rm -f "$DATA.serve.err"
[ "$OWN_DATA" = 1 ] && rm -rf "$DATA"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "written to $OUT"
