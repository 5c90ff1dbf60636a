#!/usr/bin/env python3
"""p50/p99 of the wall-clock histograms a package-benchmark executable prints when run
standalone (`.build/release/SkeletonBenchmarks`): one line per benchmark, in ms."""
import re, sys

text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", open(sys.argv[1]).read())
for block in re.split(r"\nDebug results for ", text)[1:]:
    name = block.split(":\n", 1)[0]
    m = re.search(r"Time \(wall clock\):\n(.*?)#\[Mean", block, re.S)
    if not m:
        continue
    rows = []
    for line in m.group(1).splitlines():
        parts = line.split()
        if len(parts) >= 3 and re.match(r"^[0-9.]+$", parts[0]):
            rows.append((float(parts[0]), float(parts[1])))
    def pct(p):
        return next(v for v, q in rows if q >= p) / 1e6
    n = re.search(r"Total count\s*=\s*(\d+)", block)
    print(f"{name}: p50 {pct(0.5):.3f} ms, p99 {pct(0.99):.3f} ms, n={n.group(1) if n else '?'}")
