#!/usr/bin/env python3
"""SQLite baseline for the timeline figures (BENCHMARKS.md peer row "SQLite 3.40 (indexes)"):
the three aggregation queries on a table with covering indexes, p50 over N runs.

    bench/timeline_sqlite.py EVENTS.ndjson [--runs N]
"""
import json, sqlite3, sys, time, tempfile, os, collections

path = sys.argv[1]
runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 50
db_path = os.path.join(tempfile.mkdtemp(prefix="timeline-sqlite-"), "events.db")
db = sqlite3.connect(db_path)
db.execute("CREATE TABLE ev (t INTEGER NOT NULL, source TEXT NOT NULL, actor TEXT)")
rows = []
months = collections.Counter()
for line in open(path, encoding="utf-8"):
    e = json.loads(line)
    # occurred_at is UTC 'YYYY-MM-DDTHH:MM:SSZ' in this corpus
    t = int(time.mktime(time.strptime(e["occurred_at"], "%Y-%m-%dT%H:%M:%SZ"))) - time.timezone
    rows.append((t, e["source"], e.get("actor")))
    months[e["occurred_at"][:7]] += 1
db.executemany("INSERT INTO ev VALUES (?, ?, ?)", rows)
db.execute("CREATE INDEX ev_t ON ev (t)")
db.execute("CREATE INDEX ev_actor ON ev (actor)")
db.execute("CREATE INDEX ev_source_t ON ev (source, t)")
db.commit()
db.execute("ANALYZE")

month = months.most_common(1)[0][0]
y, m = map(int, month.split("-"))
start = int(time.mktime((y, m, 1, 0, 0, 0, 0, 0, 0))) - time.timezone
end = int(time.mktime((y + (m == 12), m % 12 + 1, 1, 0, 0, 0, 0, 0, 0))) - time.timezone
sources = collections.Counter(s for (t, s, a) in rows if start <= t < end)
source = sources.most_common(1)[0][0]

queries = [
    ("daily histogram, all events", "SELECT t / 86400, COUNT(*) FROM ev GROUP BY 1", ()),
    ("top-10 actors, all events", "SELECT actor, COUNT(*) AS c FROM ev GROUP BY actor ORDER BY c DESC, actor LIMIT 10", ()),
    ("hourly histogram, one source, one month",
     "SELECT t / 3600, COUNT(*) FROM ev WHERE source = ? AND t >= ? AND t < ? GROUP BY 1", (source, start, end)),
]
print(f"# SQLite {sqlite3.sqlite_version} with covering indexes: {len(rows)} events; month {month}, source {source}")
for label, sql, args in queries:
    samples = []
    for i in range(runs + 3):
        t0 = time.perf_counter()
        db.execute(sql, args).fetchall()
        if i >= 3:
            samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p50 = samples[(len(samples) + 1) // 2 - 1]
    p99 = samples[min(len(samples) - 1, int(0.99 * len(samples) + 0.999) - 1)]
    print(f"{label:<45} p50 {p50:8.3f} ms  p99 {p99:8.3f} ms  ({runs} runs)")
