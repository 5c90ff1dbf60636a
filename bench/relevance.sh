#!/usr/bin/env bash
# The known-item relevance benchmark of docs/relevance.md: query sets generated
# deterministically from the corpus (bench/relevance_queries.py), answered by
#   - Almanac in process through ProductSearcher (relevance-bench, release build: the
#     service's search path with its default settings, no HTTP, no cache),
#   - raw Xapian (RawXapian: BM25, every word required as its stem, as QueryParser does),
#   - tantivy from PyPI (bench/relevance_tantivy.py), plain and with fuzzy terms,
# all in this one run. success@1, success@10 and MRR@10 per set and engine.
# Output: bench/out/relevance-<timestamp>.{txt,json}; Almanac's misses beside them.
#
#   bench/relevance.sh [--products FILE] [--per-set N] [--seed S] [--skip-build] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PRODUCTS="${ALMANAC_BENCH_DATA:-$ROOT/../shared/data}/products.ndjson"
PER_SET=500
SEED=10
SKIP_BUILD=0
WORK=""
while [ $# -gt 0 ]; do
  case "$1" in
    --products) PRODUCTS="$2"; shift 2 ;;
    --per-set) PER_SET="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --work) WORK="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

mkdir -p bench/out
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="bench/out/relevance-$STAMP"
exec > >(tee "$OUT.txt") 2>&1

echo "# bench/relevance.sh — $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "corpus: $PRODUCTS ($(wc -l < "$PRODUCTS") lines)"

python3 -c 'import tantivy' 2>/dev/null || pip install --quiet tantivy
python3 bench/relevance_queries.py "$PRODUCTS" "$OUT.sets.tsv" --per-set "$PER_SET" --seed "$SEED"

if [ "$SKIP_BUILD" = 0 ]; then
  echo "building (release)..."
  (cd Benchmarks && swift build -c release --product relevance-bench 2>&1 | tail -1)
fi
BENCH="${RELEVANCE_BENCH:-$(cd Benchmarks && swift build -c release --show-bin-path)/relevance-bench}"

WORK_ARGS=()
if [ -n "$WORK" ]; then WORK_ARGS=(--work "$WORK"); fi
"$BENCH" --products "$PRODUCTS" --queries "$OUT.sets.tsv" --json "$OUT.almanac.json" --misses "$OUT.misses.tsv" "${WORK_ARGS[@]}"
python3 bench/relevance_tantivy.py "$PRODUCTS" "$OUT.sets.tsv" "$OUT.tantivy.json"

echo
python3 - "$OUT.almanac.json" "$OUT.tantivy.json" "$OUT.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
engines = {"almanac": a["almanac"], "raw xapian": a["raw_xapian"], "tantivy": t["tantivy"],
           "tantivy + fuzzy": t["tantivy_fuzzy"]}
names = {"a": "(a) exact id, one word", "b": "(b) words of a multi-part id", "c": "(c) (a)/(b) with one typo",
         "d": "(d) 2-3 distinctive title words"}
print("| set | engine | success@1 | success@10 | MRR@10 |")
print("|---|---|---|---|---|")
for s in "abcd":
    for e, sets in engines.items():
        if s in sets:
            v = sets[s]
            print(f"| {names[s]} (n={v['n']}) | {e} | {v['success_at_1']:.3f} | {v['success_at_10']:.3f} | {v['mrr_at_10']:.3f} |")
json.dump(engines, open(sys.argv[3], "w"), indent=1, sort_keys=True)
PY
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "written: $OUT.txt, $OUT.json"
