#!/usr/bin/env python3
"""hs_exists.py - check that every HS code named in .rules files exists in HS 2022.

  python3 rules/tools/hs_exists.py [--hs data/hs2022/harmonized-system.csv] rules/*.rules

Works from any directory: the nomenclature defaults to data/hs2022/ of the repository
this script is in.  `bukong check` also warns about single codes missing from HS 2022
(core/hs2022.h); this tool is the independent second check the rules/ tests run, and it
also checks both ends of every range.  It reads every
`commodity NAME = hs ...` list and every `hs in [...]` / `hs not in [...]` list and
looks each code (and both ends of each range) up in the HS 2022 nomenclature CSV
(columns section,hscode,description,parent,level; chapters, headings and 6-digit
subheadings).  8- and 10-digit codes are national tariff lines: only their 6-digit
subheading is checked.  Exit 0 when every code exists, 1 otherwise.
"""
import argparse
import os
import csv
import re
import sys

CODE = r"[0-9]+(?:\.[0-9]+)*"
ITEM = re.compile(rf"({CODE})(?:\s*\.\.\s*({CODE}))?")


def strip_comments(line):
    out, in_str, esc = [], False, False
    for ch in line:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            out.append(ch)
        elif ch == '"':
            in_str = True
            out.append(ch)
        elif ch == "#":
            break
        else:
            out.append(ch)
    return "".join(out)


def hs_lists(text):
    """Yields (line number, list text) for commodity sets and hs in [..] lists."""
    lines = [strip_comments(l) for l in text.split("\n")]
    joined = "\n".join(lines)
    # commodity NAME = hs ITEM, ITEM ... (may continue over lines after a comma)
    for m in re.finditer(r"\bcommodity\s+\w+\s*=\s*hs\s+((?:[0-9.]+(?:\s*\.\.\s*[0-9.]+)?\s*,\s*)*[0-9.]+(?:\s*\.\.\s*[0-9.]+)?)", joined):
        yield joined.count("\n", 0, m.start()) + 1, m.group(1)
    for m in re.finditer(r"\bhs\s+(?:not\s+)?in\s*\[([^\]]*)\]", joined):
        yield joined.count("\n", 0, m.start()) + 1, m.group(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--hs", default=os.path.join(repo, "data", "hs2022", "harmonized-system.csv"))
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    try:
        with open(a.hs, encoding="utf-8", newline="") as f:
            known = {row["hscode"] for row in csv.DictReader(f)}
    except OSError as e:
        print(f"{a.hs}: error: cannot read the HS 2022 nomenclature: {e.strerror}", file=sys.stderr)
        return 2
    bad = 0
    checked = 0
    for path in a.files:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            print(f"{path}: error: cannot read the rule file: {e.strerror}", file=sys.stderr)
            bad += 1
            continue
        for line, lst in hs_lists(text):
            for m in ITEM.finditer(lst):
                for code in filter(None, m.groups()):
                    digits = code.replace(".", "")
                    look = digits[:6] if len(digits) > 6 else digits
                    checked += 1
                    if look not in known:
                        bad += 1
                        print(f"{path}:{line}: HS code {code} is not in HS 2022 ({a.hs})")
    print(f"{checked} HS codes checked, {bad} unknown", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
