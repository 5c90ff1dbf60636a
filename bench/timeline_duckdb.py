#!/usr/bin/env python3
"""DuckDB baseline for the timeline figures (BENCHMARKS.md peer row "DuckDB"): the queries
timeline-bench times, on the same events file, p50 / p99 over N runs, DuckDB's own threads
(one per core). Needs `pip install duckdb`.

    bench/timeline_duckdb.py EVENTS.ndjson [--runs N]

The month and source are chosen as timeline-bench chooses them (the busiest month, its
busiest source; ties by name), so both print the same totals. `q=fix` is Almanac's stemmed
full text ("fix", "fixes", "fixed", "fixing" match); DuckDB has no stemmer without an
extension download, so it matches those four forms as whole words with a regular expression
(case-insensitive), which finds the same events on this corpus."""
import collections
import json
import sys
import time

import duckdb

path = sys.argv[1]
runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 50

db = duckdb.connect()
db.execute(f"""
CREATE TABLE ev AS
SELECT CAST(occurred_at AS TIMESTAMP) AS t, type, source, actor, message,
       TRY_CAST(json_extract(attributes, '$.insertions') AS DOUBLE) AS insertions
FROM read_json('{path}', format = 'newline_delimited',
               columns = {{'occurred_at': 'VARCHAR', 'type': 'VARCHAR', 'source': 'VARCHAR',
                          'actor': 'VARCHAR', 'message': 'VARCHAR', 'attributes': 'JSON'}})
""")
n = db.execute("SELECT count(*) FROM ev").fetchone()[0]
month_start, month_count = db.execute(
    "SELECT date_trunc('month', t) AS m, count(*) AS c FROM ev GROUP BY m ORDER BY c DESC, m LIMIT 1").fetchone()
source = db.execute(
    "SELECT source FROM ev WHERE date_trunc('month', t) = ? GROUP BY source ORDER BY count(*) DESC, source LIMIT 1",
    [month_start]).fetchone()[0]
month_end = db.execute("SELECT ?::TIMESTAMP + INTERVAL 1 MONTH", [month_start]).fetchone()[0]

FIX = r"(?i)\bfix(es|ed|ing)?\b"
queries = [
    ("daily histogram, all events", "SELECT date_trunc('day', t) AS d, count(*) FROM ev GROUP BY d", []),
    ("top-10 actors, all events",
     "SELECT actor, count(*) AS c FROM ev WHERE actor IS NOT NULL GROUP BY actor ORDER BY c DESC, actor LIMIT 10", []),
    ("hourly histogram, one source, one month",
     "SELECT date_trunc('hour', t) AS h, count(*) FROM ev WHERE source = ? AND t >= ? AND t < ? GROUP BY h",
     [source, month_start, month_end]),
    ("q=fix: top-10 sources",
     "SELECT source, count(*) AS c FROM ev WHERE regexp_matches(message, ?) GROUP BY source ORDER BY c DESC, source LIMIT 10",
     [FIX]),
    ("count, type = release", "SELECT count(*) FROM ev WHERE type = 'release'", []),
    ("count, attributes.insertions >= 1000", "SELECT count(*) FROM ev WHERE insertions >= 1000", []),
]
print(f"# DuckDB {duckdb.__version__}: {n} events; busiest month {month_start:%Y-%m} ({month_count}), its busiest source {source}")
for label, sql, args in queries:
    samples = []
    result = None
    for i in range(runs + 3):
        t0 = time.perf_counter()
        result = db.execute(sql, args).fetchall()
        if i >= 3:
            samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p50 = samples[(len(samples) + 1) // 2 - 1]
    p99 = samples[min(len(samples) - 1, int(0.99 * len(samples) + 0.999) - 1)]
    shown = result[0][0] if len(result) == 1 and len(result[0]) == 1 else f"{len(result)} rows"
    print(f"{label:<45} p50 {p50:8.3f} ms  p99 {p99:8.3f} ms  ({runs} runs; {shown})")
