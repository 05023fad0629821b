#!/usr/bin/env python3
"""ratios.py - realized inspection rates per grade from decisions, split as SPEC §6 says.

  python3 rules/tools/ratios.py --rules R.rules DECISIONS.jsonl
        [--limit advanced=20%] [--limit certified=50%] [--floor dishonest=80%]

Reads decisions (SPEC §3 JSON Lines, as printed by `bukong decide` or by the reference
oracle) made with R.rules and prints, per grade: declarations, holds, inspections, the
realized rate, its split into discretionary (winner = baseline or a non-`fixed` rule)
and mandated (winner = a `fixed` rule; holds are counted apart), the *expected*
discretionary rate (mean rate_ppm of discretionary winners: what the draws converge
to, free of draw noise) and both discretionary rates as a ratio to the reference grade
(the first grade with factor exactly 1.0).

--limit G=P% asserts that G's discretionary ratio (realized AND expected) is below P;
--floor G=P% asserts that G's realized inspection rate over all its declarations
(holds not counted as inspections, the stricter reading) is at least P.  Exit 1 when an assertion fails.  It is a stand-in for
`bukong stats` while that command is being written, and a cross-check afterwards.
"""
import argparse
import json
import re
import sys
from fractions import Fraction


def blank_strings_and_comments(text):
    out, in_str, esc = [], False, False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_str:
            if esc:
                esc = False
                out.append(" ")
            elif ch == "\\":
                esc = True
                out.append(" ")
            elif ch == '"':
                in_str = False
                out.append('"')
            else:
                out.append("\n" if ch == "\n" else " ")
        elif ch == '"':
            in_str = True
            out.append('"')
        elif ch == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def parse_rules(path):
    with open(path, encoding="utf-8") as f:
        text = blank_strings_and_comments(f.read())
    grades = []   # (name, factor as Fraction)
    for m in re.finditer(r"(?m)^[ \t]*grade\s+(?!(?:in|not)\b)([A-Za-z_]\w*)((?:\s+\"\s*\")?(?:\s+(?:factor\s+-?[0-9_.]+|floor\s+[0-9_.]+%|ceiling\s+[0-9_.]+%))*)", text):
        fm = re.search(r"factor\s+([0-9_.]+)", m.group(2))
        factor = Fraction(fm.group(1).replace("_", "")) if fm else Fraction(1)
        grades.append((m.group(1), factor))
    fixed = {}
    starts = [m for m in re.finditer(r"\brule\s+([A-Za-z_]\w*)", text)]
    for k, m in enumerate(starts):
        end = starts[k + 1].start() if k + 1 < len(starts) else len(text)
        body = text[m.end():end]
        action = body[body.rfind("then"):]
        fixed[m.group(1)] = bool(re.search(r"\bfixed\b", action))
    return grades, fixed


def pct(s):
    s = s.strip()
    return Fraction(s[:-1]) / 100 if s.endswith("%") else Fraction(s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", required=True)
    ap.add_argument("--limit", action="append", default=[], help="GRADE=P%%: discretionary ratio below P")
    ap.add_argument("--floor", action="append", default=[], help="GRADE=P%%: realized rate at least P")
    ap.add_argument("decisions")
    a = ap.parse_args()
    grades, fixed = parse_rules(a.rules)
    ref = next((g for g, f in grades if f == 1), None)
    st = {g: dict(n=0, hold=0, insp=0, disc=0, mand=0, exp_disc=0, exp_all=0) for g, _ in grades}
    with open(a.decisions, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            s = st.setdefault(d["grade"], dict(n=0, hold=0, insp=0, disc=0, mand=0, exp_disc=0, exp_all=0))
            s["n"] += 1
            if d["outcome"] == "hold":
                s["hold"] += 1
                continue
            mandated = d["rule"] != "baseline" and fixed.get(d["rule"], False)
            s["exp_all"] += d["rate_ppm"]
            if not mandated:
                s["exp_disc"] += d["rate_ppm"]
            if d["outcome"] == "inspect":
                s["insp"] += 1
                s["mand" if mandated else "disc"] += 1

    def rate(x, n):
        return Fraction(x, n) if n else Fraction(0)

    ref_s = st.get(ref)
    ref_disc = rate(ref_s["disc"], ref_s["n"]) if ref_s else 0
    ref_exp = rate(ref_s["exp_disc"], ref_s["n"] * 1_000_000) if ref_s else 0
    print(f"reference grade: {ref}")
    print(f"{'grade':<22}{'decl':>8}{'holds':>7}{'insp':>8}{'rate':>9}{'discr':>9}{'mand':>8}"
          f"{'exp.discr':>10}{'ratio':>8}{'exp.ratio':>10}")
    for g, s in st.items():
        n = s["n"]
        disc = rate(s["disc"], n)
        exp = rate(s["exp_disc"], n * 1_000_000)
        ratio = disc / ref_disc if ref_disc else Fraction(0)
        exp_ratio = exp / ref_exp if ref_exp else Fraction(0)
        s.update(disc_rate=disc, exp_rate=exp, ratio=ratio, exp_ratio=exp_ratio,
                 all_rate=rate(s["insp"] + s["hold"], n))
        print(f"{g:<22}{n:>8}{s['hold']:>7}{s['insp']:>8}{float(rate(s['insp'], n)):>9.2%}"
              f"{float(disc):>9.2%}{float(rate(s['mand'], n)):>8.2%}{float(exp):>10.2%}"
              f"{float(ratio):>8.1%}{float(exp_ratio):>10.1%}")
    ok = True
    for spec in a.limit:
        g, p = spec.split("=")
        s = st.get(g)
        if not s or not s["n"]:
            print(f"FAIL {g}: no declarations"); ok = False; continue
        good = s["ratio"] < pct(p) and s["exp_ratio"] < pct(p)
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} {g}: discretionary ratio {float(s['ratio']):.1%} "
              f"(expected {float(s['exp_ratio']):.1%}) < {p}")
    for spec in a.floor:
        g, p = spec.split("=")
        s = st.get(g)
        if not s or not s["n"]:
            print(f"FAIL {g}: no declarations"); ok = False; continue
        insp_rate = rate(s["insp"], s["n"])
        good = insp_rate >= pct(p)
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} {g}: realized inspection rate {float(insp_rate):.2%} >= {p}"
              f" (with holds {float(s['all_rate']):.2%})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
