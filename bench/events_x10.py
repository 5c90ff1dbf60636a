#!/usr/bin/env python3
"""Writes the events corpus N times over (default 10) with shifted ids, deterministically:
copy k of line i keeps every field but `id`, which gets the suffix `~k` (copy 0 is the
file as it is). Times stay, so the months are the same and each holds N times the events.

    bench/events_x10.py IN.ndjson OUT.ndjson [--times N]

The output is data, never committed (write it under /tmp or bench/out/)."""
import json
import sys

def main():
    args = sys.argv[1:]
    times = 10
    if "--times" in args:
        i = args.index("--times")
        times = int(args[i + 1])
        del args[i:i + 2]
    src, dst = args
    lines = [l for l in open(src, encoding="utf-8").read().split("\n") if l.strip()]
    with open(dst, "w", encoding="utf-8") as out:
        for k in range(times):
            for line in lines:
                if k == 0:
                    out.write(line + "\n")
                    continue
                event = json.loads(line)
                event["id"] = f"{event['id']}~{k}"
                out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")

if __name__ == "__main__":
    main()
