#!/usr/bin/env python3
"""Turns the HS 2022 nomenclature CSV (data/hs2022/harmonized-system.csv, UN Comtrade, PDDL)
into data/hs2022/hs2022.tsv: one line per chapter, heading and subheading, `code<TAB>description`,
sorted by code. The TSV is committed and compiled into bukong (core/hs2022.h); rerun this
only when the nomenclature changes."""
import csv
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent / "data" / "hs2022"
rows = []
with open(root / "harmonized-system.csv", newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        code = row["hscode"]
        if code.isdigit() and len(code) in (2, 4, 6):
            desc = " ".join(row["description"].split())
            rows.append((code, desc))
rows.sort()
with open(root / "hs2022.tsv", "w", encoding="utf-8", newline="\n") as out:
    for code, desc in rows:
        out.write(f"{code}\t{desc}\n")
print(f"{len(rows)} codes")
