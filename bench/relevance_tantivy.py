#!/usr/bin/env python3
"""The tantivy peer of bench/relevance.sh: the same products and known-item query sets.

Index: title, brand and description as text fields with tantivy's `en_stem` tokenizer
(lower-case, split on non-alphanumerics, English stemming) and BM25 with per-field
length normalisation, the id stored raw. Query: tantivy's QueryParser over the three
fields, every word required (conjunction), title boosted 3 and brand 2 (the field weights
Almanac used before issue 10). A second configuration adds tantivy's fuzzy matching
(Levenshtein distance 1, transpositions cost 1) on title and description, its nearest
thing to typo tolerance.

  bench/relevance_tantivy.py PRODUCTS.ndjson SETS.tsv OUT.json
"""
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import tantivy


def main():
    products_path, sets_path, out_path = sys.argv[1:4]
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for field in ("title", "brand", "description"):
        builder.add_text_field(field, stored=False, tokenizer_name="en_stem")
    schema = builder.build()
    directory = tempfile.mkdtemp(prefix="almanac-tantivy-")
    try:
        index = tantivy.Index(schema, path=directory)
        writer = index.writer(heap_size=256_000_000, num_threads=1)
        started = time.perf_counter()
        with open(products_path, encoding="utf-8") as f:
            for line in f:
                o = json.loads(line)
                writer.add_document(tantivy.Document(
                    id=o["id"], title=o.get("title", ""), brand=o.get("brand") or "",
                    description=o.get("description") or ""))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        print(f"{tantivy.__version__}: build: {time.perf_counter() - started:.1f} s", flush=True)
        searcher = index.searcher()

        items = []
        with open(sets_path, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    items.append(parts)

        fields = ["title", "brand", "description"]
        boosts = {"title": 3.0, "brand": 2.0}
        configs = {
            "tantivy": {},
            "tantivy_fuzzy": {"fuzzy_fields": {"title": (False, 1, True), "description": (False, 1, True)}},
        }
        report = {}
        for name, extra in configs.items():
            scores = {}
            for set_name, query, expected in items:
                s = scores.setdefault(set_name, {"n": 0, "at1": 0, "at10": 0, "rr": 0.0, "ms": []})
                t0 = time.perf_counter()
                q = index.parse_query(query, fields, field_boosts=boosts, conjunction_by_default=True, **extra)
                hits = searcher.search(q, 10).hits
                ids = [searcher.doc(address)["id"][0] for _, address in hits]
                s["ms"].append((time.perf_counter() - t0) * 1000)
                s["n"] += 1
                if expected in ids:
                    r = ids.index(expected)
                    s["at10"] += 1
                    s["rr"] += 1 / (r + 1)
                    if r == 0:
                        s["at1"] += 1
            report[name] = {
                k: {"n": v["n"], "success_at_1": v["at1"] / v["n"], "success_at_10": v["at10"] / v["n"],
                    "mrr_at_10": v["rr"] / v["n"], "p50_ms": statistics.median(v["ms"])}
                for k, v in scores.items()}
            for k in sorted(report[name]):
                v = report[name][k]
                print(f"| {name} | {k} | {v['n']} | {v['success_at_1']:.3f} | {v['success_at_10']:.3f} | "
                      f"{v['mrr_at_10']:.3f} | {v['p50_ms']:.3f} |", flush=True)
        with open(out_path, "w") as f:
            json.dump(report, f, indent=1, sort_keys=True)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
