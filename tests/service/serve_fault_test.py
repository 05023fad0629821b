#!/usr/bin/env python3
"""`bukong serve` under failure (issue #16 items 2 and 3, issue #13):

- KillTest: SIGKILL under load, several rounds on one database. Client threads post
  distinct declarations (single requests and JSON Lines batches) over keep-alive
  connections; at a random moment (seeded: BUKONG_TEST_SEED=N repeats a run; the seed is in
  every failure message) the server is killed. Then every decision a client got in a 200 is
  in the audit log at the sequence number its answer carried (Bukong-Audit-Seq), declaration
  and decision byte for byte; the log has no gap; no declaration is in it twice; `replay`
  passes; and the next round, serving again on the same database, numbers its records after
  every earlier one (numbers never reused) while the earlier rounds' records stay as they were.
- IoErrorTest: the audit write fails under a running server (its database on a small tmpfs
  that the test fills: needs root to mount, as storage_enospc_test; fails, never skips,
  without it). The failing request and every later decision request get 503 with a JSON
  error naming the failure, no 200 after it, /readyz says not ready and why, /healthz answers,
  /metrics counts it; after a restart with room on the disk every acknowledged decision is
  intact and `replay` passes.

Usage: serve_fault_test.py BUKONG SOURCE_DIR [unittest args]
"""
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_support import (Server, answered, export, post_lines, post_one,  # noqa: E402
                             request, run)

BUKONG = None
SOURCE = None
WORK = None
LINES = []
RULES = None


def setUpModule():
    global WORK, LINES, RULES
    WORK = tempfile.mkdtemp(prefix="bukong-serve-fault.")
    run(BUKONG, "gen", "all", "--out", f"{WORK}/data", "--profiles", "300",
        "--declarations", "40000", "--rules", "20", "--seed", "11")
    RULES = f"{WORK}/data/generated.rules"
    with open(f"{WORK}/data/declarations.jsonl", encoding="utf-8") as f:
        LINES = [l.rstrip("\n") for l in f if l.strip()]
    ids = [json.loads(l)["id"] for l in LINES]
    assert len(set(ids)) == len(ids), "the generated declarations are not distinct"


def tearDownModule():
    shutil.rmtree(WORK, ignore_errors=True)


def new_db(path):
    run(BUKONG, "init", "--db", path)
    run(BUKONG, "profiles", "import", "--db", path, f"{WORK}/data/profiles.csv")
    return path


class Feed:
    """Hands out declaration lines, each once, to any number of client threads."""

    def __init__(self, lines):
        self.lines, self.next, self.lock = lines, 0, threading.Lock()

    def take(self, n):
        with self.lock:
            chunk = self.lines[self.next:self.next + n]
            self.next += len(chunk)
            return chunk


class Load:
    """Client threads over keep-alive connections: even ones post single declarations, odd
    ones JSON Lines batches of 2-40. Each keeps (thread, status, message, acknowledged) per
    answer, in the order it got them; a broken connection ends the thread (no retry)."""

    def __init__(self, server, feed, rng, threads=6):
        self.server, self.feed = server, feed
        self.stop = threading.Event()
        self.answers = []  # (thread, status, error message or None, [(seq, decl, decision)])
        self.lock = threading.Lock()
        self.seeds = [rng.randrange(2**32) for _ in range(threads)]
        self.threads = [threading.Thread(target=self.client, args=(k,)) for k in range(threads)]
        for t in self.threads:
            t.start()

    def client(self, k):
        conn = self.server.conn()
        try:
            self.posts(k, conn)
        finally:
            conn.close()

    def posts(self, k, conn):
        rng = random.Random(self.seeds[k])
        while not self.stop.is_set():
            chunk = self.feed.take(1 if k % 2 == 0 else rng.randint(2, 40))
            if not chunk:
                return
            try:
                if k % 2 == 0:
                    status, headers, body = post_one(conn, chunk[0])
                else:
                    status, headers, body = post_lines(conn, chunk)
            except (OSError, http.client.HTTPException):
                return  # the server died with the request in flight: no answer, no claim
            message = None
            if status != 200:
                message = json.loads(body)["error"]["message"]
            got = answered(status, headers, body, chunk)
            with self.lock:
                self.answers.append((k, status, message, got))

    def acknowledged(self):
        with self.lock:
            return [d for _, _, _, got in self.answers for d in got]

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=300)


class KillTest(unittest.TestCase):
    ROUNDS = 6

    def test_sigkill_under_load_loses_no_answered_decision_and_reuses_no_number(self):
        seed = int(os.environ.get("BUKONG_TEST_SEED", random.randrange(2**32)))
        try:
            self.rounds(seed)
        except AssertionError as e:
            raise AssertionError(f"seed {seed} (BUKONG_TEST_SEED={seed} repeats it): {e}") from e

    def rounds(self, seed):
        rng = random.Random(seed)
        db = new_db(f"{WORK}/kill-db")
        feed = Feed(LINES)
        acked = {}  # seq -> (declaration line, decision line), over every round
        head = 0    # the last record in the log after the previous round
        sent_ids = set()
        for n in range(self.ROUNDS):
            s = Server(BUKONG, db, RULES)
            load = Load(s, feed, rng)
            deadline = time.time() + 120
            while not load.acknowledged() and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.5))  # the cut: a random moment under load
            s.kill()
            load.finish()
            self.assertIsNone(s.sanitizer_report(), s.stderr())
            got = load.acknowledged()
            self.assertTrue(got, f"round {n}: no decision was answered before the kill")
            others = [(st, m) for _, st, m, _ in load.answers if st != 200]
            self.assertEqual(others, [], f"round {n}: answers other than 200")
            for seq, decl, decision in got:
                self.assertGreater(seq, head, f"round {n}: seq {seq} was used before the "
                                              f"restart (the log ended at {head})")
                self.assertNotIn(seq, acked, f"round {n}: seq {seq} given twice")
                acked[seq] = (decl, decision)
            records = export(BUKONG, db, f"{WORK}/kill-export.jsonl")
            self.assertEqual(sorted(records), list(range(1, len(records) + 1)),
                             f"round {n}: a gap in the audit log")
            for seq, (decl, decision) in acked.items():
                self.assertIn(seq, records, f"round {n}: acknowledged record {seq} is lost")
                self.assertEqual(records[seq], (decl, decision),
                                 f"round {n}: record {seq} is not what its client was told")
            ids = [json.loads(d)["id"] for d, _ in records.values()]
            self.assertEqual(len(ids), len(set(ids)), f"round {n}: a declaration decided twice")
            sent_ids.update(json.loads(l)["id"] for l in LINES[:feed.next])
            self.assertLessEqual(set(ids), sent_ids, f"round {n}: a record nobody sent")
            out = run(BUKONG, "replay", "--db", db, check=False)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertIn("chain intact", out.stdout + out.stderr)
            print(f"round {n}: {len(got)} answered, log 1..{max(records)} "
                  f"({max(records) - head - len(got)} recorded but unanswered)", file=sys.stderr)
            head = max(records)
        # Served once more and stopped cleanly: numbering continues after the last record.
        s = Server(BUKONG, db, RULES)
        c = s.conn()
        line = feed.take(1)[0]
        status, headers, body = post_one(c, line)
        self.assertEqual(status, 200, body)
        self.assertEqual(int(headers["bukong-audit-seq"]), head + 1)
        self.assertEqual(s.stop(), 0, s.stderr())
        self.assertIsNone(s.sanitizer_report(), s.stderr())
        print(f"seed {seed}: {self.ROUNDS} kills, {len(acked)} answered decisions checked",
              file=sys.stderr)


class SmallDisk:
    """A tmpfs of `megabytes` mounted on `path` (root only: a failed mount fails the test)."""

    def __init__(self, path, megabytes):
        self.path = path
        os.makedirs(path, exist_ok=True)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0700",
                            "tmpfs", path], capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError(f"cannot mount a tmpfs on {path} (this test needs root, as "
                                 f"storage_enospc_test): {p.stderr}")

    def fill(self, name="filler"):
        with open(os.path.join(self.path, name), "wb") as f:
            chunk = b"x" * 65536
            try:
                while True:
                    f.write(chunk)
                    f.flush()
            except OSError:
                pass
            try:
                f.close()
            except OSError:
                pass
        return os.statvfs(self.path).f_bavail

    def unfill(self, name="filler"):
        os.remove(os.path.join(self.path, name))

    def unmount(self):
        subprocess.run(["umount", "-l", self.path], capture_output=True)


class IoErrorTest(unittest.TestCase):
    def test_a_failed_audit_write_gives_503_not_ready_and_loses_nothing_acknowledged(self):
        disk = SmallDisk(f"{WORK}/disk", 32)
        self.addCleanup(disk.unmount)
        db = new_db(f"{WORK}/disk/db")
        feed = Feed(LINES)
        s = Server(BUKONG, db, RULES)
        try:
            self.check_failure(s, disk, feed, db)
        finally:
            if s.proc.poll() is None:
                s.kill()
        self.assertIsNone(s.sanitizer_report(), s.stderr())

    def check_failure(self, s, disk, feed, db):
        c = s.conn()
        acked = {}
        for line in feed.take(10):
            got = answered(*post_one(c, line), [line])
            self.assertEqual(len(got), 1)
            acked.update({seq: (d, dec) for seq, d, dec in got})
        chunk = feed.take(10)
        got = answered(*post_lines(c, chunk), chunk)
        self.assertEqual(len(got), 10)
        acked.update({seq: (d, dec) for seq, d, dec in got})

        # Clients keep posting while the disk fills up under them.
        load = Load(s, feed, random.Random(1), threads=4)
        time.sleep(0.2)
        self.assertEqual(disk.fill(), 0)
        deadline = time.time() + 120
        while time.time() < deadline:
            with load.lock:
                if any(st == 503 for _, st, _, _ in load.answers):
                    break
            time.sleep(0.02)
        time.sleep(0.3)
        load.finish()
        failures = [(k, m) for k, st, m, _ in load.answers if st == 503]
        self.assertTrue(failures, "no request failed on the full disk")
        for k, status, message, _ in load.answers:
            self.assertIn(status, (200, 503), message)
            if status == 503:
                self.assertIn("audit log", message)
        # The cause is named: in the answers, or — when RocksDB's first failure was in a
        # background flush and the write path only says "Writer has previous error" — in the
        # database's own LOG.
        named = " ".join(m for _, m in failures)
        rocks_log = os.path.join(db, "LOG")
        if os.path.exists(rocks_log):
            with open(rocks_log, errors="replace") as f:
                named += f.read()
        self.assertIn("No space left on device", named)
        # On each connection, nothing acknowledged after the first failure.
        for k in range(4):
            statuses = [st for kk, st, _, _ in load.answers if kk == k]
            if 503 in statuses:
                self.assertNotIn(200, statuses[statuses.index(503):], f"client {k}: {statuses}")
        for seq, d, dec in load.acknowledged():
            acked[seq] = (d, dec)

        # Every later decision request: 503 naming the failure; the other endpoints answer.
        c = s.conn()
        line = feed.take(1)[0]
        status, headers, body = post_one(c, line)
        self.assertEqual(status, 503, body)
        self.assertNotIn("bukong-audit-seq", headers)
        # Only a restart cures it: no `Retry-After` inviting the client back every second.
        self.assertNotIn("retry-after", headers)
        error = json.loads(body)["error"]
        self.assertEqual(error["status"], 503)
        self.assertIn("No space left on device", error["message"])
        chunk = feed.take(3)
        status, headers, body = post_lines(c, chunk)
        self.assertEqual(status, 503, body)
        self.assertNotIn("retry-after", headers)
        self.assertIn("No space left on device", json.loads(body)["error"]["message"])
        status, headers, body = request(c, "GET", "/readyz")
        self.assertEqual(status, 503)
        self.assertNotIn("retry-after", headers)
        ready = json.loads(body)
        self.assertEqual(ready["status"], "failed")
        self.assertIn("No space left on device", ready["reason"])
        self.assertEqual(request(c, "GET", "/healthz")[0], 200)
        some_id = json.loads(next(iter(acked.values()))[0])["id"]
        status, _, body = request(c, "GET", f"/v1/decisions/{some_id}")
        self.assertEqual(status, 200, body)  # reading what was recorded still works
        status, _, body = request(c, "POST", "/v1/outcomes",
                                  json.dumps({"id": some_id, "result": "hit"}) + "\n",
                                  {"Content-Type": "application/x-ndjson"})
        self.assertEqual(status, 503, body)  # nothing is written to the failed store
        metrics = request(c, "GET", "/metrics")[2].decode()
        values = {}
        for m in metrics.splitlines():
            if not m.startswith("#"):
                name, _, value = m.rpartition(" ")
                values[name] = float(value)
        self.assertEqual(values["bukong_ready"], 0)
        self.assertEqual(values["bukong_audit_failed"], 1)
        self.assertGreaterEqual(values["bukong_audit_refused_total"], len(failures) + 2)
        self.assertGreaterEqual(values['bukong_http_responses_total{code="503"}'],
                                len(failures) + 3)
        self.assertEqual(values["bukong_audit_records_total"], len(acked))

        # Room on the disk again: the server stays failed (a restart is the way back).
        disk.unfill()
        line = feed.take(1)[0]
        self.assertEqual(post_one(c, line)[0], 503)
        self.assertIn("the audit log failed", s.stderr())
        self.assertEqual(s.stop(), 1, s.stderr())  # SIGTERM: exit 1, the audit log failed
        self.assertIsNone(s.sanitizer_report(), s.stderr())

        # Restarted with room on the disk: everything acknowledged is intact, numbering goes on.
        out = run(BUKONG, "replay", "--db", db, check=False)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("chain intact", out.stdout + out.stderr)
        records = export(BUKONG, db, f"{WORK}/ioerror-export.jsonl")
        self.assertEqual(sorted(records), list(range(1, len(records) + 1)))
        for seq, rec in acked.items():
            self.assertEqual(records.get(seq), rec, f"acknowledged record {seq}")
        s2 = Server(BUKONG, db, RULES)
        c = s2.conn()
        self.assertEqual(request(c, "GET", "/readyz")[0], 200)
        line = feed.take(1)[0]
        status, headers, body = post_one(c, line)
        self.assertEqual(status, 200, body)
        self.assertEqual(int(headers["bukong-audit-seq"]), max(records) + 1)
        self.assertEqual(s2.stop(), 0, s2.stderr())
        self.assertIsNone(s2.sanitizer_report(), s2.stderr())
        print(f"{len(acked)} acknowledged before the failure, {len(failures)} requests failed "
              f"under load; log 1..{max(records)}", file=sys.stderr)


if __name__ == "__main__":
    BUKONG, SOURCE = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
