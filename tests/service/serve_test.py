#!/usr/bin/env python3
"""`bukong serve` driven over real sockets by real clients: Python's http.client, curl and
openssl (all installed by scripts/install-deps.sh; a missing one fails the test, it is never
skipped). Every server is started by the test on 127.0.0.1 with an ephemeral port and
stopped by it.

Usage: serve_test.py BUKONG SOURCE_DIR [unittest args]
"""
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import service_support  # noqa: E402
from service_support import SANITIZER_REPORT, need, request, run  # noqa: E402

BUKONG = None
SOURCE = None
WORK = None  # module temp dir: generated data and a database with profiles


def setUpModule():
    global WORK
    WORK = tempfile.mkdtemp(prefix="bukong-serve-test.")
    run(BUKONG, "gen", "all", "--out", f"{WORK}/data", "--profiles", "500",
        "--declarations", "4000", "--rules", "20", "--seed", "7")
    run(BUKONG, "init", "--db", f"{WORK}/db0")
    run(BUKONG, "profiles", "import", "--db", f"{WORK}/db0", f"{WORK}/data/profiles.csv")
    with open(f"{WORK}/data/declarations.jsonl") as f:
        global LINES
        LINES = [l.rstrip("\n") for l in f if l.strip()]


def tearDownModule():
    shutil.rmtree(WORK, ignore_errors=True)


class Server(service_support.Server):
    """One `bukong serve` process on 127.0.0.1:0, on this module's data."""

    def __init__(self, db, rules=None, *extra, expect_start=True):
        super().__init__(BUKONG, db, rules or f"{WORK}/data/generated.rules", *extra,
                         expect_start=expect_start)


def post_decision(conn, line, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return request(conn, "POST", "/v1/decisions", line, h)


def fresh_db(name):
    path = f"{WORK}/{name}"
    shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(f"{WORK}/db0", path)
    return path


def replay(db):
    return run(BUKONG, "replay", "--db", db, check=False)


class ServeTest(unittest.TestCase):
    def test_get_returns_every_decision_of_an_id_oldest_first_with_seqs(self):
        # One declaration decided four times (three single requests around a batch that holds
        # it once), under ids that are prefixes of each other; each GET lists exactly its id's
        # decisions, oldest first, each with the seq and decision its POST answered.
        db = fresh_db("every-decision")
        s = Server(db)
        try:
            c = s.conn()
            base = json.loads(LINES[0])
            ids = ["P", "P1", "P 1"]
            answered = {i: [] for i in ids}
            def one(did):
                status, headers, body = post_decision(c, json.dumps(dict(base, id=did)))
                self.assertEqual(status, 200, body)
                answered[did].append((int(headers["bukong-audit-seq"]), json.loads(body)))
            for did in ids:
                one(did)
            batch = "\n".join([json.dumps(dict(base, id=d)) for d in ids] + LINES[1:3])
            status, headers, body = request(c, "POST", "/v1/decisions", batch,
                                            {"Content-Type": "application/x-ndjson"})
            self.assertEqual(status, 200, body)
            seqs = []
            for part in headers["bukong-audit-seq"].split(","):  # e.g. "17-21" or "17-19,23"
                first, _, last = part.partition("-")
                seqs.extend(range(int(first), int(last or first) + 1))
            for did, seq, line in zip(ids, seqs, body.decode().splitlines()):
                answered[did].append((seq, json.loads(line)))
            for did in ids:
                one(did)
                one(did)
            for did in ids:
                path = "/v1/decisions/" + did.replace(" ", "%20")
                status, _, body = request(c, "GET", path)
                self.assertEqual(status, 200, body)
                got = json.loads(body)
                self.assertEqual(got["id"], did)
                self.assertEqual(len(got["decisions"]), 4, body)
                self.assertEqual([(d["seq"], d["decision"]) for d in got["decisions"]],
                                 answered[did])
                self.assertEqual(got["latest_seq"], answered[did][-1][0])
                seqs_of = [d["seq"] for d in got["decisions"]]
                self.assertEqual(seqs_of, sorted(seqs_of))
            status, _, body = request(c, "GET", "/v1/decisions/P2")
            self.assertEqual(status, 404, body)
            c.close()
        finally:
            self.assertEqual(s.stop(), 0, s.stderr())
        self.assertEqual(replay(db).returncode, 0)

    def test_decisions_over_one_keep_alive_connection_are_recorded_at_their_seq(self):
        db = fresh_db("keepalive")
        s = Server(db)
        try:
            c = s.conn()
            seen = {}
            sock = None
            for line in LINES[:50]:
                status, headers, body = post_decision(c, line)
                self.assertEqual(status, 200, body)
                if sock is None:
                    sock = c.sock
                self.assertIs(c.sock, sock, "the connection was not kept alive")
                d = json.loads(body)
                self.assertEqual(d["id"], json.loads(line)["id"])
                seen[d["id"]] = (int(headers["bukong-audit-seq"]), body.decode().strip())
            # GET /v1/decisions/{id} returns the record each client was given.
            for did, (seq, decision) in seen.items():
                status, _, body = request(c, "GET", f"/v1/decisions/{did}")
                self.assertEqual(status, 200)
                got = json.loads(body)
                self.assertEqual([d["seq"] for d in got["decisions"]], [seq])
                self.assertEqual(got["latest_seq"], seq)
                self.assertEqual(got["decisions"][0]["decision"], json.loads(decision))
            status, _, body = request(c, "GET", "/v1/decisions/nope")
            self.assertEqual(status, 404)
            self.assertIn("never decided", json.loads(body)["error"]["message"])
        finally:
            self.assertEqual(s.stop(), 0, s.stderr())
        self.assertEqual(replay(db).returncode, 0)

    def test_bad_declarations_get_400_naming_the_field_and_nothing_is_recorded(self):
        db = fresh_db("bad")
        s = Server(db)
        try:
            c = s.conn()
            good = json.loads(LINES[0])
            cases = [
                ("value", dict(good, value="12")),
                ("enterprise", {k: v for k, v in good.items() if k != "enterprise"}),
                ("hs", dict(good, hs="12")),
                ("date", dict(good, date="2021-13-45")),
            ]
            for field, decl in cases:
                status, _, body = post_decision(c, json.dumps(decl))
                self.assertEqual(status, 400, body)
                err = json.loads(body)["error"]
                self.assertEqual(err["field"], field, err)
            for raw in ["", "not json", "[1,2]", '{"a":1}\n{"b":2}']:
                status, _, body = post_decision(c, raw)
                self.assertEqual(status, 400, (raw, body))
                self.assertIn("error", json.loads(body))
            metrics = request(c, "GET", "/metrics")[2].decode()
            self.assertIn("bukong_audit_records_total 0\n", metrics)
            self.assertRegex(metrics, r"bukong_rejects_total [1-9]")
        finally:
            self.assertEqual(s.stop(), 0)
        out = replay(db)
        self.assertIn("the audit log is empty", out.stdout + out.stderr)

    def test_json_lines_batch_answers_each_line_in_order(self):
        db = fresh_db("batch")
        s = Server(db)
        try:
            c = s.conn()
            lines = LINES[100:110]
            body = "\n".join(lines[:3] + ['{"id":"x"}', ""] + lines[3:]) + "\n"
            status, headers, data = request(c, "POST", "/v1/decisions", body,
                                            {"Content-Type": "application/x-ndjson"})
            self.assertEqual(status, 200)
            answers = [json.loads(a) for a in data.decode().splitlines()]
            self.assertEqual(len(answers), 11)
            self.assertEqual(answers[3]["error"]["line"], 4)
            self.assertEqual(answers[3]["error"]["field"], "enterprise")
            decided = [a for a in answers if "error" not in a]
            self.assertEqual([a["id"] for a in decided], [json.loads(l)["id"] for l in lines])
            metrics = request(c, "GET", "/metrics")[2].decode()
            self.assertIn("bukong_audit_records_total 10\n", metrics)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_concurrent_clients_each_get_their_own_recorded_decision(self):
        db = fresh_db("concurrent")
        s = Server(db)
        got = {}
        lock = threading.Lock()

        def client(chunk):
            c = s.conn()
            for line in chunk:
                status, headers, body = post_decision(c, line)
                assert status == 200, body
                with lock:
                    got[int(headers["bukong-audit-seq"])] = body.decode().strip()

        try:
            chunks = [LINES[i::16][:40] for i in range(16)]
            with concurrent.futures.ThreadPoolExecutor(16) as ex:
                list(ex.map(client, chunks))
            self.assertEqual(sorted(got), list(range(1, 16 * 40 + 1)))
            metrics = request(s.conn(), "GET", "/metrics")[2].decode()
            m = re.search(r"bukong_group_commit_batch_records_count (\d+)", metrics)
            self.assertLess(int(m.group(1)), 640, "no two requests shared an audit write")
        finally:
            self.assertEqual(s.stop(), 0)
        self.assertEqual(replay(db).returncode, 0)

    def test_outcomes_are_recorded_once(self):
        db = fresh_db("outcomes")
        s = Server(db)
        try:
            c = s.conn()
            status, _, body = post_decision(c, LINES[5])
            did = json.loads(body)["id"]
            body = json.dumps({"id": did, "result": "hit"}) + "\n" + \
                json.dumps({"id": "never", "result": "clean"}) + "\n" + '{"id":"x"}\n' + \
                json.dumps({"id": did, "result": "clean"}) + "\n"
            status, _, data = request(c, "POST", "/v1/outcomes", body,
                                      {"Content-Type": "application/x-ndjson"})
            self.assertEqual(status, 200)
            answers = [json.loads(a) for a in data.decode().splitlines()]
            self.assertTrue(answers[0]["recorded"])
            self.assertEqual(answers[1]["error"]["status"], 404)
            self.assertEqual(answers[2]["error"]["field"], "result")
            self.assertEqual(answers[3]["error"]["status"], 409)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_ruleset_put_refuses_errors_with_422_and_swaps_good_text(self):
        db = fresh_db("ruleset")
        s = Server(db)
        try:
            c = s.conn()
            status, _, body = request(c, "GET", "/v1/ruleset")
            first = json.loads(body)
            self.assertEqual(status, 200)
            with open(s.rules) as f:
                self.assertEqual(first["text"], f.read())
            broken = first["text"] + "\nrule oops when nonsense then rate 5%\n"
            status, _, body = request(c, "PUT", "/v1/ruleset", broken)
            self.assertEqual(status, 422)
            diags = json.loads(body)["diagnostics"]
            self.assertTrue(any(d["severity"] == "error" and d["line"] > 0 for d in diags))
            self.assertEqual(json.loads(request(c, "GET", "/v1/ruleset")[2])["sha256"],
                             first["sha256"])
            stricter = re.sub(r"\nbaseline [^\n]*", "\nbaseline 9% at port 100%",
                              first["text"], count=1)
            status, _, body = request(c, "PUT", "/v1/ruleset", stricter)
            self.assertEqual(status, 200, body)
            second = json.loads(body)
            self.assertNotEqual(second["sha256"], first["sha256"])
            status, _, body = post_decision(c, LINES[7])
            self.assertEqual(json.loads(body)["ruleset_sha256"], second["sha256"])
            metrics = request(c, "GET", "/metrics")[2].decode()
            self.assertIn(f'sha256="{second["sha256"]}"}} 1', metrics)
        finally:
            self.assertEqual(s.stop(), 0)
        self.assertEqual(replay(db).returncode, 0)  # both rulesets are stored

    def test_records_keep_the_full_digests_of_the_bound_list_versions(self):
        # SPEC §7.1: serve decides through the decider, whose records keep the full digest of
        # every bound list version; they are the versions the decision lines name by 16 digits.
        db = fresh_db("lists")
        watched = f"{WORK}/watched.txt"
        with open(watched, "w") as f:
            f.write(json.loads(LINES[0])["enterprise"] + "\n")
        run(BUKONG, "lists", "import", "--db", db, "watched", watched, "--type", "enterprise")
        rules = f"{WORK}/lists.rules"
        with open(f"{WORK}/data/generated.rules") as f, open(rules, "w") as out:
            out.write(f.read() + "\nlist watched of enterprise\n"
                      "rule watched_e when enterprise in watched then rate 100%\n")
        s = Server(db, rules)
        try:
            c = s.conn()
            for line in LINES[:5]:
                status, _, body = post_decision(c, line)
                self.assertEqual(status, 200, body)
        finally:
            self.assertEqual(s.stop(), 0, s.stderr())
        shown = run(BUKONG, "lists", "show", "--db", db, "watched").stdout
        version = re.search(r"^version +([0-9a-f]{64})$", shown, re.M).group(1)
        exported = run(BUKONG, "audit", "export", "--db", db).stdout.splitlines()
        self.assertEqual(len(exported), 5)
        for line in exported:
            record = json.loads(line)
            self.assertEqual(record["lists"], {"watched": version})
            self.assertEqual(json.loads(record["decision"])["lists"], {"watched": version[:16]})
        self.assertIn("watched_e", json.loads(json.loads(exported[0])["decision"])["matched"])
        self.assertEqual(replay(db).returncode, 0)

    def test_ruleset_swap_under_load(self):
        db = fresh_db("swapload")
        s = Server(db)
        text = open(s.rules).read()
        other = re.sub(r"\nbaseline [^\n]*", "\nbaseline 7% at port 100%", text, count=1)
        shas = set()
        stop = threading.Event()
        errors = []

        def client(k):
            c = s.conn()
            i = k
            while not stop.is_set():
                status, _, body = post_decision(c, LINES[i % len(LINES)])
                if status != 200:
                    errors.append(body)
                    return
                shas.add(json.loads(body)["ruleset_sha256"])
                i += 4

        try:
            threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
            for t in threads:
                t.start()
            c = s.conn()
            live = set()
            for n in range(10):
                status, _, body = request(c, "PUT", "/v1/ruleset", other if n % 2 == 0 else text)
                self.assertEqual(status, 200)
                live.add(json.loads(body)["sha256"])
                time.sleep(0.05)
            stop.set()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            self.assertEqual(len(live), 2)
            self.assertTrue(shas <= live and len(shas) == 2, (shas, live))
        finally:
            self.assertEqual(s.stop(), 0)
        self.assertEqual(replay(db).returncode, 0)

    def test_sighup_reloads_the_rule_file_only_when_it_compiles(self):
        db = fresh_db("sighup")
        rules = f"{WORK}/sighup.rules"
        shutil.copy(f"{WORK}/data/generated.rules", rules)
        s = Server(db, rules)
        try:
            c = s.conn()
            first = json.loads(request(c, "GET", "/v1/ruleset")[2])["sha256"]
            text = open(rules).read()
            with open(rules, "w") as f:
                f.write(re.sub(r"\nbaseline [^\n]*", "\nbaseline 8% at port 100%", text, count=1))
            s.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 10
            second = first
            while second == first and time.time() < deadline:
                time.sleep(0.05)
                second = json.loads(request(c, "GET", "/v1/ruleset")[2])["sha256"]
            self.assertNotEqual(second, first)
            with open(rules, "w") as f:
                f.write("ruleset broken\n")
            s.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 10
            while "refused" not in s.stderr() and time.time() < deadline:
                time.sleep(0.05)
            self.assertIn("refused, the live ruleset stays", s.stderr())
            self.assertEqual(json.loads(request(c, "GET", "/v1/ruleset")[2])["sha256"], second)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_health_readiness_and_metrics(self):
        s = Server(fresh_db("health"))
        try:
            c = s.conn()
            self.assertEqual(request(c, "GET", "/healthz")[0], 200)
            self.assertEqual(request(c, "GET", "/readyz")[0], 200)
            post_decision(c, LINES[0])
            status, headers, body = request(c, "GET", "/metrics")
            self.assertEqual(status, 200)
            self.assertTrue(headers["content-type"].startswith("text/plain"))
            text = body.decode()
            for name in ["bukong_decisions_total{", "bukong_rejects_total",
                         "bukong_http_request_duration_seconds_bucket{le=\"+Inf\"}",
                         "bukong_audit_sync_seconds_count", "bukong_group_commit_batch_records_sum",
                         "bukong_queue_records", "bukong_ruleset_info{id=\""]:
                self.assertIn(name, text)
            # Every sample line is NAME{labels} VALUE with a number.
            for line in text.splitlines():
                if not line.startswith("#"):
                    self.assertRegex(line, r'^[a-z_]+(\{[^}]*\})? [-+0-9.e]+$|^[a-z_]+\{.*\} [0-9]+$')
            self.assertEqual(request(c, "GET", "/nowhere")[0], 404)
            self.assertEqual(request(c, "DELETE", "/v1/ruleset")[0], 405)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_curl_decides_reusing_one_connection(self):
        curl = need("curl")
        s = Server(fresh_db("curl"))
        try:
            url = f"http://127.0.0.1:{s.port}/v1/decisions"
            p = run(curl, "-sS", "-v", "-H", "Content-Type: application/json",
                    "--data-binary", LINES[1], url, "--next", "-H",
                    "Content-Type: application/json", "--data-binary", LINES[2], url)
            out = p.stdout.splitlines()
            self.assertEqual([json.loads(l)["id"] for l in out],
                             [json.loads(LINES[1])["id"], json.loads(LINES[2])["id"]])
            self.assertRegex(p.stderr, r"Re-using existing connection|Reusing existing")
        finally:
            self.assertEqual(s.stop(), 0)


class SecurityTest(unittest.TestCase):
    def token_file(self, mode=0o600):
        path = f"{WORK}/token-{mode:o}"
        with open(path, "w") as f:
            f.write("s3cr3t-t0ken-0123456789abcdef\n")
        os.chmod(path, mode)
        return path

    def test_a_token_is_required_on_v1_and_compared_exactly(self):
        s = Server(fresh_db("auth"), None, "--token-file", self.token_file())
        try:
            c = s.conn()
            status, headers, body = post_decision(c, LINES[0])
            self.assertEqual(status, 401)
            self.assertEqual(headers.get("www-authenticate"), "Bearer")
            for wrong in ["Bearer s3cr3t-t0ken-0123456789abcdeX", "Bearer s3cr3t",
                          "Basic s3cr3t-t0ken-0123456789abcdef", "Bearer "]:
                self.assertEqual(post_decision(c, LINES[0], {"Authorization": wrong})[0], 401)
            self.assertEqual(request(c, "GET", "/v1/ruleset")[0], 401)
            ok = {"Authorization": "Bearer s3cr3t-t0ken-0123456789abcdef"}
            self.assertEqual(post_decision(c, LINES[0], ok)[0], 200)
            self.assertEqual(request(c, "GET", "/healthz")[0], 200)  # no token needed
            metrics = request(c, "GET", "/metrics")[2].decode()
            self.assertIn("bukong_audit_records_total 1\n", metrics)  # the 401s recorded nothing
        finally:
            self.assertEqual(s.stop(), 0)

    def test_a_readable_token_file_and_an_open_listen_without_token_are_refused(self):
        s = Server(fresh_db("auth2"), None, "--token-file", self.token_file(0o644),
                   expect_start=False)
        self.assertEqual(s.proc.wait(timeout=30), 1)
        self.assertIn("chmod 600", s.proc.stderr.read())
        p = run(BUKONG, "serve", "--db", fresh_db("auth3"), "--rules",
                f"{WORK}/data/generated.rules", "--listen", "0.0.0.0:0", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--token-file", p.stderr)

    def test_tls_with_a_self_signed_certificate(self):
        openssl, curl = need("openssl"), need("curl")
        cert, key = f"{WORK}/cert.pem", f"{WORK}/key.pem"
        run(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1")
        s = Server(fresh_db("tls"), None, "--tls-cert", cert, "--tls-key", key)
        try:
            self.assertEqual(s.scheme, "https")
            ctx = ssl.create_default_context(cafile=cert)
            c = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=30)
            for line in LINES[:3]:
                status, _, body = post_decision(c, line)
                self.assertEqual(status, 200)
            p = run(curl, "-sS", "--cacert", cert, "-H", "Content-Type: application/json",
                    "--data-binary", LINES[3], f"https://127.0.0.1:{s.port}/v1/decisions")
            self.assertEqual(json.loads(p.stdout)["id"], json.loads(LINES[3])["id"])
            # Plain HTTP to the TLS port gets no decision.
            plain = s.conn()
            with self.assertRaises((http.client.HTTPException, ConnectionError, OSError)):
                post_decision(plain, LINES[4])
        finally:
            self.assertEqual(s.stop(), 0)


class LimitsTest(unittest.TestCase):
    def test_body_header_time_and_connection_limits(self):
        s = Server(fresh_db("limits"), None, "--max-body-bytes", "2000", "--max-header-bytes",
                   "2000", "--idle-timeout", "1", "--read-timeout", "1", "--max-connections", "3")
        try:
            c = s.conn()
            status, _, body = post_decision(c, '{"id":"' + "x" * 3000 + '"}')
            self.assertEqual(status, 413)
            self.assertIn("--max-body-bytes", json.loads(body)["error"]["message"])
            c = s.conn()
            status, _, _ = request(c, "GET", "/healthz", headers={"X-Big": "y" * 3000})
            self.assertEqual(status, 431)
            # An idle connection and a slow one are dropped after their timeouts.
            for partial in [b"", b"POST /v1/decisions HTTP/1.1\r\nHost: x\r\n"]:
                sock = socket.create_connection(("127.0.0.1", s.port))
                sock.sendall(partial)
                sock.settimeout(10)
                start = time.time()
                self.assertEqual(sock.recv(100), b"")
                self.assertLess(time.time() - start, 5)
                sock.close()
        finally:
            self.assertEqual(s.stop(), 0)

    def test_beyond_max_connections_a_connection_is_closed_at_once(self):
        s = Server(fresh_db("maxconn"), None, "--max-connections", "3", "--idle-timeout", "30")
        try:
            held = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(3)]
            refused = False
            for attempt in range(10):  # until the server has accepted the three held ones
                extra = socket.create_connection(("127.0.0.1", s.port))
                extra.settimeout(2)
                try:
                    refused = extra.recv(100) == b""
                except socket.timeout:
                    refused = False
                extra.close()
                if refused:
                    break
            self.assertTrue(refused, "a fourth connection was served")
            for h in held:
                h.close()
            deadline = time.time() + 10
            while True:  # the server notices the closed ones, then serves again
                try:
                    c = s.conn()
                    self.assertEqual(request(c, "GET", "/healthz")[0], 200)
                    c.close()
                    break
                except (ConnectionError, http.client.HTTPException):
                    if time.time() > deadline:
                        raise
                    time.sleep(0.1)
            metrics = request(s.conn(), "GET", "/metrics")[2].decode()
            self.assertRegex(metrics, r"bukong_refused_connections_total [1-9]")
        finally:
            self.assertEqual(s.stop(), 0)


    def test_a_full_queue_gives_503_with_retry_after_and_records_nothing_refused(self):
        # One record per batch and one batch in flight: concurrent requests overflow the
        # decider's queue at once. A queue-full 503 is cured by waiting, so it says
        # `Retry-After: 1` (the audit-failure 503, cured only by a restart, does not:
        # serve_fault_test).
        db = fresh_db("queuefull")
        s = Server(db, None, "--batch-records", "1", "--queue-batches", "1")
        answers = []
        lock = threading.Lock()
        full = threading.Event()
        deadline = time.time() + 60

        def client(chunk):
            c = s.conn()
            for line in chunk:
                if full.is_set() or time.time() > deadline:
                    return
                status, headers, body = post_decision(c, line)
                with lock:
                    answers.append((status, headers, body))
                if status == 503:
                    full.set()

        try:
            chunks = [LINES[i::16] for i in range(16)]
            with concurrent.futures.ThreadPoolExecutor(16) as ex:
                list(ex.map(client, chunks))
            refused = [(h, b) for st, h, b in answers if st == 503]
            self.assertTrue(refused, f"no 503 in {len(answers)} concurrent requests")
            for headers, body in refused:
                self.assertEqual(headers.get("retry-after"), "1", body)
                self.assertIn("queue is full", json.loads(body)["error"]["message"])
                self.assertNotIn("bukong-audit-seq", headers)
            ok = [(h, b) for st, h, b in answers if st == 200]
            self.assertEqual(len(ok) + len(refused), len(answers))
            self.assertTrue(all("retry-after" not in h for h, _ in ok))
            # A JSON Lines body: line 1 fills the batch, line 2 the one slot in flight, the
            # rest are refused line by line inside a 200 (no Retry-After on a 200).
            status, headers, body = request(s.conn(), "POST", "/v1/decisions",
                                            "\n".join(LINES[-5:]) + "\n",
                                            {"Content-Type": "application/x-ndjson"})
            self.assertEqual(status, 200, body)
            self.assertNotIn("retry-after", headers)
            lines = [json.loads(l) for l in body.decode().splitlines()]
            self.assertEqual(len(lines), 5)
            refused_lines = [l for l in lines if "error" in l]
            self.assertTrue(refused_lines, lines)
            for l in refused_lines:
                self.assertEqual(l["error"]["status"], 503)
                self.assertIn("queue is full", l["error"]["message"])
            acknowledged = len(ok) + len(lines) - len(refused_lines)
        finally:
            self.assertEqual(s.stop(), 0)
        # Exactly the acknowledged decisions are in the log: nothing refused was recorded.
        p = replay(db)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"records 1..{acknowledged}:", p.stdout + p.stderr)


class CrashTest(unittest.TestCase):
    def load(self, s, stop, got, errors, offset):
        def client(k):
            c = s.conn()
            i = offset + k
            while not stop.is_set() and i < len(LINES):
                try:
                    status, headers, body = post_decision(c, LINES[i])
                except (OSError, http.client.HTTPException):
                    return
                if status == 200:
                    got.append((int(headers["bukong-audit-seq"]), body.decode().strip()))
                else:
                    errors.append((status, body))
                i += 8
        threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        return threads

    def check_log(self, db, got):
        out = replay(db)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("chain intact", out.stdout + out.stderr)
        # Every decision a client received is in the log at its seq: a new server answers it.
        s = Server(db)
        try:
            c = s.conn()
            for seq, decision in got:
                did = json.loads(decision)["id"]
                status, _, body = request(c, "GET", f"/v1/decisions/{did}")
                self.assertEqual(status, 200, (seq, did))
                recs = {d["seq"]: d for d in json.loads(body)["decisions"]}
                self.assertIn(seq, recs, (did, body))
                self.assertEqual(recs[seq]["decision"], json.loads(decision))
        finally:
            self.assertEqual(s.stop(), 0)

    def test_sigkill_under_load_loses_no_answered_decision(self):
        db = fresh_db("kill")
        s = Server(db)
        got, errors, stop = [], [], threading.Event()
        threads = self.load(s, stop, got, errors, 0)
        time.sleep(1.0)
        s.proc.kill()
        s.proc.wait()
        stop.set()
        for t in threads:
            t.join()
        s.reader.join(timeout=10)
        # Killed, a sanitizer build cannot exit 66: look for its report instead.
        self.assertNotRegex(s.stderr(), SANITIZER_REPORT)
        self.assertGreater(len(got), 0)
        self.assertEqual(errors, [])
        self.check_log(db, got)

    def test_sigterm_answers_what_is_in_flight_syncs_and_exits_0(self):
        db = fresh_db("term")
        s = Server(db)
        got, errors, stop = [], [], threading.Event()
        threads = self.load(s, stop, got, errors, 1)
        time.sleep(0.7)
        self.assertEqual(s.stop(signal.SIGTERM), 0, s.stderr())
        stop.set()
        for t in threads:
            t.join()
        self.assertGreater(len(got), 0)
        self.assertTrue(all(st == 503 for st, _ in errors), errors[:3])
        self.assertIn("stopped;", s.stderr())
        self.check_log(db, got)


class ClientExampleTest(unittest.TestCase):
    def test_examples_client_py(self):
        s = Server(fresh_db("client"))
        try:
            decl = f"{WORK}/client-input.jsonl"
            with open(decl, "w") as f:
                f.write("\n".join(LINES[:20] + ['{"id":"broken"}']) + "\n")
            p = run(sys.executable, f"{SOURCE}/examples/client.py", "--url",
                    f"http://127.0.0.1:{s.port}", decl, check=False)
            self.assertEqual(p.returncode, 3, p.stderr)  # one line rejected
            out = [json.loads(l) for l in p.stdout.splitlines()]
            self.assertEqual(len(out), 20)
            self.assertTrue(all("seq" in o and "decision" in o for o in out))
            self.assertIn("field 'enterprise'", p.stderr)
        finally:
            self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    BUKONG, SOURCE = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
