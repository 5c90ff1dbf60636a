#!/usr/bin/env python3
"""Gives the demo tenant a week of search history, so the console's analytics page has
something to show right away.

    python3 scripts/demo_searches.py http://127.0.0.1:8080 TOKEN

Synthetic, and said so: for a fixed list of shopper queries (some misspelled, some that a
catalogue of Debian packages cannot answer) it first asks the running server what each
query really gives (zero results? corrected to what?), then appends `search.performed`
events of the shape Almanac itself writes (API.md, "Search analytics") spread over the
past seven days with a daily rhythm, through the ordinary `POST /v1/events/_bulk`. Event
ids are fixed per hour and query, so running it again adds nothing. Finally it runs a few
real searches, which the server records itself. Used by scripts/run.sh and
scripts/console_screenshots.py.
"""

import json
import math
import random
import sys
import time
import urllib.parse
import urllib.request

# (query, relative popularity)
QUERIES = [
    ("python", 40), ("openssl", 24), ("library", 20), ("gcc", 15), ("perl", 12), ("rust", 10), ("java runtime", 9),
    ("pyhton", 8), ("sqlite", 8), ("haskell", 7), ("nginx", 6), ("libssl", 6), ("postgresql", 5), ("node", 5),
    ("kettle", 5), ("fonts", 4), ("opnssl", 3), ("espresso machine", 3), ("librarry", 2), ("dokcer", 2),
    ("vacuum cleaner", 2), ("emacs", 3), ("vim", 3),
]


def call(base, token, method, path, body=None, query=None, content_type="application/json"):
    url = base + path + ("?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote) if query else "")
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": "Bearer " + token, "Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.load(r)


def poisson(rng, mean):
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def facts(base, token, q):
    answer = call(base, token, "GET", "/v1/products/search", query={"q": q, "limit": 1, "facets": "brand"})
    return answer["total"]["value"] == 0, answer.get("query", {}).get("corrected")


def seed(base, token):
    base = base.rstrip("/")
    rng = random.Random(13)
    known = {q: facts(base, token, q) for q, _ in QUERIES}
    now = int(time.time())
    this_hour = now - now % 3600
    lines = []
    for hours_ago in range(7 * 24, 0, -1):
        start = this_hour - hours_ago * 3600
        local_hour = (start // 3600 + 1) % 24  # Central European daytime
        rhythm = 0.25 + 0.75 * max(0.0, math.sin(math.pi * (local_hour - 6) / 16)) if 6 <= local_hour <= 22 else 0.15
        for q, weight in QUERIES:
            remaining = poisson(rng, weight * rhythm * 0.6)
            part = 0
            zero, corrected = known[q]
            while remaining > 0:
                # A few searches a second: one roll-up event each.
                searches = min(remaining, rng.randint(1, 3))
                remaining -= searches
                second = start + rng.randrange(3600)
                hits = sum(1 for _ in range(searches) if rng.random() < 0.7)
                attributes = {"q": q, "searches": searches, "zero_results": zero,
                              "took_ms_max": round(rng.uniform(0.4, 9.0), 3), "hits_cache": hits}
                if corrected:
                    attributes["corrected"] = corrected
                lines.append(json.dumps({
                    "id": f"demo-search:{start}:{q}:{part}", "type": "search.performed", "source": "almanac.search",
                    "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)), "attributes": attributes}))
                part += 1
    report = call(base, token, "POST", "/v1/events/_bulk", body=("\n".join(lines) + "\n").encode(),
                  query={"wait": "true"}, content_type="application/x-ndjson")
    for q in ("python", "openssl", "pyhton", "kettle", "library"):
        call(base, token, "GET", "/v1/products/search", query={"q": q})
    print(f"demo search history: {report['accepted']} events added ({report['duplicates']} already there)", file=sys.stderr)


if __name__ == "__main__":
    seed(sys.argv[1], sys.argv[2])
