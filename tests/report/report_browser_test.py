#!/usr/bin/env python3
"""Issue #15: `bukong report` rendered in a real browser (Debian's headless chromium).

On a fresh database fed with the bundled example data (the demo's data), this test:
  1. writes the report (with what-if against examples/whatif-stricter.rules), in English and
     in Chinese, into ARTIFACTS (kept in the build tree);
  2. renders each in headless chromium and fails on any console message or script error
     (chromium's CONSOLE log lines, and the page's own trap, #console-errors);
  3. checks from the rendered DOM that every chart was drawn by Chart.js (data-rendered,
     with elements), and that the key numbers in the tables equal `bukong stats --json`'s;
  4. recomputes every Wilson and Katz interval of `stats --json` from its counts, here in
     Python (statistics.NormalDist), independently of the C++;
  5. checks that the demo's noisy ratios are not reported as violations;
  6. keeps a screenshot (ARTIFACTS/report.png, report-zh.png).
A missing chromium fails the test: scripts/install-deps.sh installs it.

Usage: report_browser_test.py BUKONG SOURCE_DIR ARTIFACTS
"""
import html.parser
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from statistics import NormalDist

BUKONG, SOURCE, ARTIFACTS = sys.argv[1], sys.argv[2], sys.argv[3]
Z = NormalDist().inv_cdf(0.975)
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message, file=sys.stderr)


def run(*args, ok=(0,)):
    p = subprocess.run([BUKONG, *args], capture_output=True, text=True, timeout=120)
    if p.returncode not in ok:
        sys.exit(f"bukong {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return p.stdout


class Dom(html.parser.HTMLParser):
    """Collects canvases, cells with data-k, and the error trap's text."""

    def __init__(self):
        super().__init__()
        self.canvases = []
        self.cells = {}
        self.verdicts = {}
        self.errors = ""
        self._key = None
        self._in_errors = False
        self.ready = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html" and a.get("data-ready") == "yes":
            self.ready = True
        if tag == "canvas":
            self.canvases.append(a)
        if tag == "td" and "data-k" in a:
            self._key = a["data-k"]
            self.cells[self._key] = ""
            if "data-verdict" in a:
                self.verdicts[self._key] = a["data-verdict"]
        if tag == "pre" and a.get("id") == "console-errors":
            self._in_errors = True

    def handle_endtag(self, tag):
        if tag == "td":
            self._key = None
        if tag == "pre":
            self._in_errors = False

    def handle_data(self, data):
        if self._key is not None:
            self.cells[self._key] += data
        if self._in_errors:
            self.errors += data


def chromium():
    exe = shutil.which("chromium")
    if not exe:
        sys.exit("chromium is not installed (Debian package chromium): run scripts/install-deps.sh")
    return exe


def render(page, profile, screenshot):
    base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--hide-scrollbars", f"--user-data-dir={profile}", "--virtual-time-budget=10000"]
    url = "file://" + os.path.abspath(page)
    p = subprocess.run(base + ["--enable-logging=stderr", "--v=0", "--dump-dom", url],
                       capture_output=True, text=True, timeout=90)
    if p.returncode != 0:
        fail(f"chromium --dump-dom exited {p.returncode}: {p.stderr[-2000:]}")
    console = [line for line in p.stderr.splitlines() if ":CONSOLE" in line]
    for line in console:
        fail(f"{page}: console: {line}")
    s = subprocess.run(base + ["--window-size=1280,4000", f"--screenshot={screenshot}", url],
                       capture_output=True, text=True, timeout=90)
    if s.returncode != 0 or not os.path.exists(screenshot) or os.path.getsize(screenshot) < 10000:
        fail(f"chromium --screenshot did not write {screenshot}: {s.stderr[-2000:]}")
    dom = Dom()
    dom.feed(p.stdout)
    return dom


def wilson(k, n):
    p = k / n
    a = 1 + Z * Z / n
    b = -(2 * p + Z * Z / n)
    c = p * p
    d = math.sqrt(b * b - 4 * a * c)
    return ((-b - d) / (2 * a), (-b + d) / (2 * a))


def katz(x1, n1, x2, n2):
    a, m, b, k = float(x1), float(n1), float(x2), float(n2)
    if 0 in (x1, x2) or x1 == n1 or x2 == n2:
        a, b, m, k = a + 0.5, b + 0.5, m + 1, k + 1
    r = (a / m) / (b / k)
    se = math.sqrt(1 / a - 1 / m + 1 / b - 1 / k)
    low, high = r * math.exp(-Z * se), r * math.exp(Z * se)
    if x1 == 0:
        low = 0.0
    if x2 == 0:
        high = None
    return (low, high)


def close(a, b, what):
    if b is None or a is None:
        if a != b:
            fail(f"{what}: {a} != {b}")
        return
    if abs(a - b) > 2e-6:
        fail(f"{what}: {a} != {b} (independent computation)")


def percent(x):
    return f"{x * 100:.2f}%"


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    data = os.path.join(SOURCE, "examples", "data")
    with tempfile.TemporaryDirectory(prefix="bukong-report-test.") as tmp:
        db = os.path.join(tmp, "db")
        run("init", "--db", db, "--key-file", os.path.join(data, "demo.key"))
        run("profiles", "import", "--db", db, os.path.join(data, "profiles.csv"))
        for name, kind in (("sanctioned", "country"), ("watched_enterprises", "enterprise")):
            run("lists", "import", "--db", db, name,
                os.path.join(SOURCE, "data", "lists", name + ".txt"), "--type", kind)
        run("decide", "--db", db, "--rules", os.path.join(SOURCE, "rules", "order237-2018.rules"),
            os.path.join(data, "declarations.jsonl"), "-o", os.path.join(tmp, "decisions.jsonl"))
        run("outcome", "--db", db, os.path.join(data, "outcomes.jsonl"))
        stats = json.loads(run("stats", "--db", db, "--json"))
        rules = os.path.join(SOURCE, "examples", "whatif-stricter.rules")
        whatif = json.loads(run("what-if", "--db", db, "--rules", rules, "--json"))

        # 4. Every interval of stats --json, recomputed here from its counts.
        for rs in stats["rulesets"]:
            for g in rs["stats"]["grades"]:
                t = g["tally"]
                if t["declarations"] == 0:
                    continue
                lo, hi = wilson(t["inspections"] + t["holds"], t["declarations"])
                close(g["rate"]["ci95"][0], lo, f"{g['grade']} rate low")
                close(g["rate"]["ci95"][1], hi, f"{g['grade']} rate high")
            for c in rs["checks"]:
                if c["measure"] == "rate":
                    lo, hi = wilson(c["x"], c["n"])
                else:
                    lo, hi = katz(c["x"], c["n"], c["x_of"], c["n_of"])
                close(c["ci95"][0], lo, f"{c['description']} low")
                close(c["ci95"][1], hi, f"{c['description']} high")
                sat = {"<": lambda v: v < c["bound"], "<=": lambda v: v <= c["bound"],
                       ">": lambda v: v > c["bound"], ">=": lambda v: v >= c["bound"]}[c["op"]]
                low_ok, high_ok = sat(c["ci95"][0]), sat(c["ci95"][1])
                expected = "holds" if low_ok and high_ok else "violated" if not (low_ok or high_ok) else "undetermined"
                if c["verdict"] != expected:
                    fail(f"{c['description']}: verdict {c['verdict']}, expected {expected}")
                # 5. The demo's few hundred declarations: a noisy ratio is no violation.
                if c["measure"] == "ratio" and c["verdict"] == "violated":
                    fail(f"the demo's noisy {c['description']} is reported as violated")
            for r in rs["efficacy"]["rows"]:
                if r["known"]:
                    lo, hi = wilson(r["hits"], r["known"])
                    close(r["hit_rate"]["ci95"][0], lo, f"{r['key']} hit rate low")
                    close(r["hit_rate"]["ci95"][1], hi, f"{r['key']} hit rate high")

        for lang in ("en", "zh"):
            suffix = "" if lang == "en" else "-zh"
            page = os.path.join(ARTIFACTS, f"report{suffix}.html")
            out = run("report", "--db", db, "--rules", rules, "-o", page, "--lang", lang)
            if page not in out:
                fail(f"report does not say where it wrote the file: {out!r}")
            with open(page, encoding="utf-8") as f:
                text = f.read()
            for forbidden in ("http://", "https://", "<script src", "<link "):
                if forbidden in text.replace("http://www.w3.org", ""):
                    # Chart.js's source holds URLs in comments and strings, never loads them.
                    if forbidden in ("<script src", "<link "):
                        fail(f"{page} loads an external resource ({forbidden})")
            dom = render(page, os.path.join(tmp, f"chrome{suffix}"),
                         os.path.join(ARTIFACTS, f"report{suffix}.png"))
            if not dom.ready:
                fail(f"{page}: the page's scripts did not finish")
            if dom.errors.strip():
                fail(f"{page}: script errors: {dom.errors.strip()}")
            # 3. Every chart drew: rates, checks, efficacy, workload per ruleset; what-if 2.
            expected_charts = sum(3 + (1 if rs["checks"] else 0) for rs in stats["rulesets"]) + 2
            if len(dom.canvases) != expected_charts:
                fail(f"{page}: {len(dom.canvases)} charts, expected {expected_charts}")
            for c in dom.canvases:
                if c.get("data-rendered") != "yes" or int(c.get("data-elements", "0")) <= 0:
                    fail(f"{page}: chart {c.get('id')} did not render: {c}")
            # Key numbers: the tables say what stats --json says.
            for i, rs in enumerate(stats["rulesets"]):
                for g in rs["stats"]["grades"]:
                    k = f"rs{i}.grade.{g['grade']}."
                    t = g["tally"]
                    if dom.cells.get(k + "declarations") != str(t["declarations"]):
                        fail(f"{page}: {k}declarations {dom.cells.get(k + 'declarations')!r} != {t['declarations']}")
                    if dom.cells.get(k + "holds") != str(t["holds"]):
                        fail(f"{page}: {k}holds differs")
                    if g["rate"] and not dom.cells.get(k + "rate", "").startswith(percent(g["rate"]["value"])):
                        fail(f"{page}: {k}rate {dom.cells.get(k + 'rate')!r} != {percent(g['rate']['value'])}")
                for j, c in enumerate(rs["checks"]):
                    k = f"rs{i}.check.{j}."
                    if dom.verdicts.get(k + "verdict") != c["verdict"]:
                        fail(f"{page}: {k}verdict {dom.verdicts.get(k + 'verdict')} != {c['verdict']}")
                    if c["value"] is not None and not dom.cells.get(k + "value", "").startswith(percent(c["value"])):
                        fail(f"{page}: {k}value {dom.cells.get(k + 'value')!r} != {percent(c['value'])}")
                for r in rs["efficacy"]["rows"]:
                    for field in ("won", "known", "hits"):
                        k = f"rs{i}.rule.{r['key']}.{field}"
                        if dom.cells.get(k) != str(r[field]):
                            fail(f"{page}: {k} {dom.cells.get(k)!r} != {r[field]}")
            total = whatif["report"]["total"]
            for field in ("newly_inspected", "newly_released"):
                k = f"whatif.grade.all.{field}"
                if dom.cells.get(k) != str(total[field]):
                    fail(f"{page}: {k} {dom.cells.get(k)!r} != what-if --json's {total[field]}")
            if lang == "zh" and "各信用等级查验率" not in text:
                fail("the Chinese report lacks its Chinese headings")
            if "高级认证企业" not in text:
                fail(f"{page}: the rule file's grade labels are missing")
    if failures:
        sys.exit(f"{len(failures)} failure(s)")
    print(f"ok: reports, DOM dumps and screenshots in {ARTIFACTS}")


main()
