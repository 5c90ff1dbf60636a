#!/usr/bin/env bash
# Whole-history timeline figures (BENCHMARKS.md, "Timeline"), each beside a baseline
# measured in the same run:
#   1. `almanac import events` (the real CLI, release build) on a fresh data directory:
#      durable (SQLite committed) then indexed (month databases committed), wall and RSS.
#   2. timeline-bench (Benchmarks/, release): ingest in process vs raw Xapian, search
#      p50/p99 without and with q, aggregations on the columns vs the index path.
#   3. bench/timeline_sqlite.py: the three aggregation queries on SQLite with covering
#      indexes, and bench/timeline_duckdb.py: those and the q/count rows in DuckDB (pip
#      duckdb, installed when missing): the BENCHMARKS.md peers, in the same run.
#   4. with --startup: bench/startup.sh, restart to ready on the imported corpus (this
#      build, and --before BIN as the baseline, e.g. the current main's release binary).
# Output: bench/out/timeline-<timestamp>.txt (bench/out/ is git-ignored).
#
#   bench/timeline.sh [--events FILE] [--runs N] [--skip-build] [--skip-cli] [--startup [--before BIN]]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
EVENTS="${ALMANAC_BENCH_DATA:-$ROOT/../shared/data}/events.ndjson"
RUNS=200
SKIP_BUILD=0
SKIP_CLI=0
STARTUP=0
BEFORE=""
SCRATCH="${ALMANAC_TIMELINE_SCRATCH:-$ROOT/.build-timeline-bench}"
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --skip-cli) SKIP_CLI=1; shift ;;
    --startup) STARTUP=1; shift ;;
    --before) BEFORE="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

mkdir -p bench/out
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="bench/out/timeline-$STAMP.txt"
exec > >(tee "$OUT") 2>&1

echo "# bench/timeline.sh — $(date -u +%FT%TZ)"
echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "events: $EVENTS ($(wc -l < "$EVENTS") lines)"

if [ "$SKIP_BUILD" = 0 ]; then
  echo "building (release)..."
  (cd Benchmarks && swift build -c release --scratch-path "$SCRATCH" --product almanac 2>&1 | tail -1)
  (cd Benchmarks && swift build -c release --scratch-path "$SCRATCH" --product timeline-bench 2>&1 | tail -1)
fi
BIN="$(cd Benchmarks && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)"

if [ "$SKIP_CLI" = 0 ]; then
  echo
  echo "## almanac import events (CLI, release): durable, then indexed"
  DATA=$(mktemp -d "${TMPDIR:-/tmp}/almanac-timeline-XXXXXX")
  START=$(date +%s.%N)
  LOG_LEVEL=info /usr/bin/time -f "almanac import: wall %e s, max RSS %M kB" \
    "$BIN/almanac" import events "$EVENTS" --tenant bench --data "$DATA" --quiet \
    > "$DATA/report.json" 2> "$DATA/import.err" || { cat "$DATA/import.err"; exit 1; }
  END=$(date +%s.%N)
  grep -E "indexed in|almanac import:" "$DATA/import.err" || true
  INDEX_S=$(sed -n 's/.*indexed in \([0-9.]*\) s.*/\1/p' "$DATA/import.err" | tail -1)
  ACCEPTED=$(python3 -c "import json,sys; print(json.load(open('$DATA/report.json'))['accepted'])")
  python3 - "$START" "$END" "${INDEX_S:-0}" "$ACCEPTED" <<'PY'
import sys
start, end, index_s, n = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
total = end - start
durable = total - index_s
print(f"accepted {n}: durable {durable:.1f} s ({n / durable:,.0f} events/s), indexed {index_s:.1f} s ({n / max(index_s, 1e-9):,.0f} events/s), "
      f"durable + indexed {total:.1f} s ({n / total:,.0f} events/s)")
PY
  rm -rf "$DATA"
fi

echo
echo "## timeline-bench (in process)"
"$BIN/timeline-bench" --events "$EVENTS" --runs "$RUNS"

echo
echo "## SQLite baseline (same run)"
python3 bench/timeline_sqlite.py "$EVENTS" --runs 50
echo
echo "## DuckDB baseline (same run)"
python3 -c "import duckdb" 2>/dev/null || pip install --quiet duckdb
python3 bench/timeline_duckdb.py "$EVENTS" --runs 50
if [ "$STARTUP" = 1 ]; then
  echo
  echo "## restart to ready (bench/startup.sh)"
  bench/startup.sh --after "$BIN/almanac" ${BEFORE:+--before "$BEFORE"} --events "$EVENTS" --runs 3
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "written to $OUT"
