#!/usr/bin/env python3
"""Writes examples/data/outcomes.jsonl from the demo's decisions (see examples/README.md).

Inspection results for a realistic share of the demo's decisions, deterministic (a hash
of the declaration id decides, not a random generator):
  - inspected or held: 60% get a result; a hit for 30% of dishonest enterprises' ones,
    8% of the others';
  - released: 1% get a post-clearance result (SPEC §6: any audited declaration may), 20%
    of them hits.
Usage: make_outcomes.py DECISIONS.jsonl > outcomes.jsonl
"""
import hashlib
import json
import sys


def share(declaration_id, salt):
    digest = hashlib.sha256(f"{salt}:{declaration_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little") / 2**64


def main(path):
    with open(path, encoding="utf-8") as decisions:
        for line in decisions:
            d = json.loads(line)
            flagged = d["outcome"] != "release"
            if share(d["id"], "result") >= (0.60 if flagged else 0.01):
                continue
            if flagged:
                hit_rate = 0.30 if d["grade"] == "dishonest" else 0.08
            else:
                hit_rate = 0.20
            result = "hit" if share(d["id"], "hit") < hit_rate else "clean"
            print(json.dumps({"id": d["id"], "result": result}, separators=(",", ":")))


if __name__ == "__main__":
    main(sys.argv[1])
