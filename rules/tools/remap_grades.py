#!/usr/bin/env python3
"""remap_grades.py - rename the grades of a profile CSV for another credit regime.

  python3 rules/tools/remap_grades.py --map general=regular --map certified=regular IN.csv OUT.csv
  python3 rules/tools/remap_grades.py --map general=regular \
      --split dishonest=discredited,seriously_discredited IN.csv OUT.csv

Profiles graded under one order (rules/order237-2018.rules uses advanced, certified,
general, dishonest) cannot be decided by a ruleset of another order until their grades
are names that ruleset declares (SPEC §2 step 1: an undeclared grade rejects the line).
--map OLD=NEW renames a grade.  --split OLD=A,B sends each profile of grade OLD to A or
B by the parity of the first byte of SHA-256(id): a deterministic, roughly even split
used only to simulate a grade that the source data does not have (generated traffic has
no "seriously discredited" enterprises); it is not a legal mapping.  Reads and writes
the SPEC §3 profile CSV (header id,grade,registered,flags,inspections,hits).
"""
import argparse
import csv
import hashlib
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--map", action="append", default=[], metavar="OLD=NEW")
    ap.add_argument("--split", action="append", default=[], metavar="OLD=A,B")
    ap.add_argument("input")
    ap.add_argument("output")
    a = ap.parse_args()
    rename = dict(m.split("=", 1) for m in a.map)
    split = {k: v.split(",") for k, v in (s.split("=", 1) for s in a.split)}
    counts = {}
    with open(a.input, encoding="utf-8", newline="") as fin, \
         open(a.output, "w", encoding="utf-8", newline="") as fout:
        rd = csv.reader(fin)
        wr = csv.writer(fout, lineterminator="\n")
        header = next(rd)
        if header != ["id", "grade", "registered", "flags", "inspections", "hits"]:
            sys.exit(f"{a.input}:1: error: header must be id,grade,registered,flags,inspections,hits")
        wr.writerow(header)
        for row in rd:
            if not row:
                continue
            g = row[1]
            if g in split:
                pair = split[g]
                g = pair[hashlib.sha256(row[0].encode()).digest()[0] & 1]
            else:
                g = rename.get(g, g)
            counts[g] = counts.get(g, 0) + 1
            row[1] = g
            wr.writerow(row)
    print(", ".join(f"{g} {n}" for g, n in sorted(counts.items())), file=sys.stderr)


if __name__ == "__main__":
    main()
