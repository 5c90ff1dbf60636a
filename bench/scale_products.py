#!/usr/bin/env python3
"""A deterministic large catalogue from ../shared/data/products.ndjson (issue 14, item 7).

Copy k (0..N-1) of every product: copy 0 as it is; copies 1.. get the id suffix `~k` and
their title words shuffled by a generator seeded with (k, line number), so every copy is a
different document with the corpus's own vocabulary and field lengths. The output is
written to a file (or stdout) and never committed: 30 copies are about 2 GB.

    bench/scale_products.py [--copies 30] [--products FILE] [--out FILE]
"""
import argparse
import json
import random
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--copies", type=int, default=30)
parser.add_argument("--products", default=None)
parser.add_argument("--out", default="-")
args = parser.parse_args()
source = args.products or __file__.rsplit("/", 2)[0] + "/../shared/data/products.ndjson"
lines = [line for line in open(source, encoding="utf-8") if line.strip()]
out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
count = 0
for copy in range(args.copies):
    for number, line in enumerate(lines):
        if copy == 0:
            out.write(line if line.endswith("\n") else line + "\n")
        else:
            product = json.loads(line)
            product["id"] = f"{product['id']}~{copy}"[:128]
            words = product.get("title", "").split()
            random.Random(copy * 1_000_003 + number).shuffle(words)
            product["title"] = " ".join(words) or product["id"]
            out.write(json.dumps(product, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
if out is not sys.stdout:
    out.close()
print(f"{count} products ({args.copies} copies of {len(lines)})", file=sys.stderr)
