#!/usr/bin/env python3
"""Known-item query sets for bench/relevance.sh, generated deterministically from the corpus.

Each line of the output (TSV) is `set<TAB>query<TAB>expected id`:

  a  the exact id of a single-word package (letters and digits only)   ("rafkill", "gimp")
  b  the words of a multi-part id split on - and .    ("rafkill data" for rafkill-data)
     (a) and (b) skip ids whose words another id shares (`bison` and `bison~~`): the
     query names two products then
  c  an (a) or (b) query with one random edit (insert, delete, substitute or transpose
     adjacent letters) in its longest word; only where both that word and its misspelling
     can take a typo under API.md's rules (>= 5 characters, no digit: "dars" for darcs is
     too short to be corrected), and never an edit that spells another package's id
  d  2-3 distinctive title words after the package name: among the title's words that
     are not stop words, not words of the name and at least 3 letters, the 5 with the
     lowest document frequency over all titles; 2 or 3 of them at random, in title order

Words are normalised as Almanac's Tokenizer does for ASCII text (runs of letters and
digits, lower-cased), so every engine sees the same words.

  bench/relevance_queries.py PRODUCTS.ndjson OUT.tsv [--per-set N] [--seed S]
"""
import argparse
import collections
import json
import random
import re

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
STOP = set("""a an and are as at be but by for from has have in into is it its of on or
that the their this to was were will with without via your you can not all any using
use used""".split())


def words(text):
    return [w.replace("'", "").replace("\u2019", "").lower() for w in WORD.findall(text)]


def typo_eligible(word):
    return len(word) >= 5 and not any(c.isdigit() for c in word)


def one_edit(word, rng):
    letters = "abcdefghijklmnopqrstuvwxyz"
    while True:
        kind = rng.choice(["insert", "delete", "substitute", "transpose"])
        i = rng.randrange(len(word))
        if kind == "insert":
            out = word[:i] + rng.choice(letters) + word[i:]
        elif kind == "delete":
            out = word[:i] + word[i + 1:]
        elif kind == "substitute":
            out = word[:i] + rng.choice(letters.replace(word[i], "")) + word[i + 1:]
        else:
            if i == len(word) - 1 or word[i] == word[i + 1]:
                continue
            out = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if out != word:
            return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("products")
    ap.add_argument("out")
    ap.add_argument("--per-set", type=int, default=500)
    ap.add_argument("--seed", type=int, default=10)
    args = ap.parse_args()

    products = []
    with open(args.products, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            products.append((o["id"], o.get("title", "")))
    products.sort()
    key_count = collections.Counter(" ".join(words(pid)) for pid, _ in products)
    id_keys = set(key_count)

    def title_rest(pid, title):
        # The corpus titles are "name short-description".
        return title[len(pid):] if title.startswith(pid) else title

    df = collections.Counter()
    for pid, title in products:
        df.update(set(words(title_rest(pid, title))))

    rng = random.Random(args.seed)
    def unique(pid):
        return key_count[" ".join(words(pid))] == 1

    single = [p for p in products if re.fullmatch(r"[a-z0-9]+", p[0]) and unique(p[0])]
    multi = [p for p in products if re.fullmatch(r"[a-z0-9]+([.-][a-z0-9]+)+", p[0]) and unique(p[0])]
    out = []
    a = rng.sample(single, args.per_set)
    b = rng.sample(multi, args.per_set)
    for pid, _ in a:
        out.append(("a", " ".join(words(pid)), pid))
    for pid, _ in b:
        out.append(("b", " ".join(words(pid)), pid))

    pool = [(pid, words(pid)) for pid, _ in a + b]
    pool = [(pid, ws) for pid, ws in pool if typo_eligible(max(ws, key=len))]
    rng.shuffle(pool)
    c = []
    for pid, ws in pool:
        if len(c) == args.per_set:
            break
        longest = max(range(len(ws)), key=lambda i: len(ws[i]))
        for _ in range(10):
            edited = list(ws)
            edited[longest] = one_edit(ws[longest], rng)
            query = " ".join(edited)
            if query not in id_keys and typo_eligible(edited[longest]):
                c.append(("c", query, pid))
                break
    out.extend(c)

    d = []
    candidates = list(products)
    rng.shuffle(candidates)
    for pid, title in candidates:
        if len(d) == args.per_set:
            break
        name = set(words(pid))
        rest = words(title_rest(pid, title))
        seen = set()
        usable = []
        for i, w in enumerate(rest):
            if w in seen or w in STOP or w in name or len(w) < 3 or w.isdigit():
                continue
            seen.add(w)
            usable.append((df[w], i, w))
        k = rng.choice([2, 3])
        if len(usable) < k:
            continue
        best = sorted(usable)[:5]
        chosen = sorted(rng.sample(best, k), key=lambda t: t[1])
        d.append(("d", " ".join(w for _, _, w in chosen), pid))
    out.extend(d)

    with open(args.out, "w", encoding="utf-8") as f:
        for row in out:
            f.write("\t".join(row) + "\n")
    counts = collections.Counter(r[0] for r in out)
    print(f"query sets written to {args.out}: " + ", ".join(f"({k}) {counts[k]}" for k in "abcd"))


if __name__ == "__main__":
    main()
