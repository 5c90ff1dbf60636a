#!/usr/bin/env bash
# Whole-corpus catalogue figures (BENCHMARKS.md), each beside a baseline measured in the
# same run:
#   1. `almanac import products` (the real CLI, release build) on a fresh data directory,
#      bracketed by two raw-Xapian builds of the same lines: products/s durable (SQLite
#      committed) and indexed (Xapian committed), peak RSS of the import.
#   2. catalogue-bench (Benchmarks/, release): the same import in process plus raw Xapian,
#      uncached search p50/p99 (plain, 3 facets, filter) vs raw Xapian, typo expansion.
# The almanac binary is built inside the Benchmarks package (the same sources as the root
# package; one release build for everything).
# Output: bench/out/catalogue-<timestamp>.{txt,json} (bench/out/ is git-ignored).
#
#   bench/catalogue.sh [--products FILE] [--passes N] [--skip-cli] [--skip-build] [--product-shards N]
# --product-shards N: the product index's shard count for the import and the searches
# (default: one per core).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PRODUCTS="${ALMANAC_BENCH_DATA:-$ROOT/../shared/data}/products.ndjson"
PASSES=3
SKIP_CLI=0
SKIP_BUILD=0
SHARDS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --products) PRODUCTS="$2"; shift 2 ;;
    --passes) PASSES="$2"; shift 2 ;;
    --skip-cli) SKIP_CLI=1; shift ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --product-shards) SHARDS=(--product-shards "$2"); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

mkdir -p bench/out
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="bench/out/catalogue-$STAMP.txt"
exec > >(tee "$OUT") 2>&1

echo "# bench/catalogue.sh — $(date -u +%FT%TZ)"
echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "product shards: ${SHARDS[1]:-default ($(nproc), one per core)}"
echo "corpus: $PRODUCTS ($(wc -l < "$PRODUCTS") lines)"

if [ "$SKIP_BUILD" = 0 ]; then
  echo "building (release)..."
  (cd Benchmarks && swift build -c release --product almanac 2>&1 | tail -1)
  (cd Benchmarks && swift build -c release --product catalogue-bench 2>&1 | tail -1)
fi
ALMANAC="$(cd Benchmarks && swift build -c release --show-bin-path)/almanac"
BENCH="$(cd Benchmarks && swift build -c release --show-bin-path)/catalogue-bench"

if [ "$SKIP_CLI" = 0 ]; then
  echo
  echo "## almanac import products (CLI) vs raw Xapian"
  "$BENCH" --products "$PRODUCTS" --only raw
  DATA=$(mktemp -d "${TMPDIR:-/tmp}/almanac-import-XXXXXX")
  START=$(date +%s.%N)
  LOG_LEVEL=info /usr/bin/time -f "almanac import: wall %e s, max RSS %M kB" \
    "$ALMANAC" import products "$PRODUCTS" --tenant bench --data "$DATA" --quiet ${SHARDS[@]+"${SHARDS[@]}"} \
    > "$DATA/report.json" 2> "$DATA/import.err" || { cat "$DATA/import.err"; exit 1; }
  END=$(date +%s.%N)
  grep -E "indexed in|almanac import:" "$DATA/import.err" || true
  INDEX_S=$(sed -n 's/.*indexed in \([0-9.]*\) s.*/\1/p' "$DATA/import.err" | tail -1)
  python3 - "$START" "$END" "${INDEX_S:-0}" "$DATA/report.json" <<'PY'
import json, sys
start, end, index_s = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
report = json.load(open(sys.argv[4]))
n = report["accepted"]
total = end - start
durable = total - index_s
print(f"almanac import: {n} products, total {total:.2f} s -> indexed {n/total:.0f} products/s; "
      f"durable part {durable:.2f} s -> {n/durable:.0f} products/s (includes process start); "
      f"index part {index_s:.2f} s; rejected {len(report['rejected'])}")
PY
  du -sh "$DATA/almanac.sqlite3" "$DATA/index/products" 2>/dev/null || true
  rm -rf "$DATA"
  "$BENCH" --products "$PRODUCTS" --only raw
fi

echo
echo "## catalogue-bench (in process, release)"
"$BENCH" --products "$PRODUCTS" --passes "$PASSES" ${SHARDS[@]+"${SHARDS[@]}"} --json "bench/out/catalogue-$STAMP.json"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "written: $OUT"
