"""Helpers shared by the service tests: a `bukong serve` process on 127.0.0.1:0, HTTP
requests over Python's http.client, and the audit log read back with `bukong audit export`.

A server's stderr is kept; `Server.sanitizer_report()` finds a sanitizer's report in it (a
TSan or ASan build's `bukong` that is killed with SIGKILL never gets to exit 66, so the tests
look at what it printed as well as at its exit status)."""
import http.client
import json
import re
import shutil
import subprocess
import threading
import time

SANITIZER_REPORT = re.compile(
    r"WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error: ")


def run(*args, check=True, **kw):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{args} exited {p.returncode}: {p.stderr}")
    if SANITIZER_REPORT.search(p.stderr):
        raise AssertionError(f"{args}: a sanitizer report:\n{p.stderr}")
    return p


def need(tool):
    path = shutil.which(tool)
    if path is None:
        raise AssertionError(f"{tool} is not installed: run scripts/install-deps.sh")
    return path


class Server:
    """One `bukong serve` process on 127.0.0.1 with an ephemeral port."""

    def __init__(self, bukong, db, rules, *extra, start_timeout=120, expect_start=True):
        """Starts the server; with expect_start=False returns at once (for a server that
        must refuse to start: the caller waits for `proc` and reads its stderr)."""
        self.db = db
        self.rules = rules
        self.proc = subprocess.Popen(
            [bukong, "serve", "--db", db, "--rules", rules, "--listen", "127.0.0.1:0", *extra],
            stderr=subprocess.PIPE, text=True)
        self.err = []
        self.port = None
        self.scheme = "http"
        self.reader = None
        if not expect_start:
            return
        deadline = time.time() + start_timeout  # generous: a TSan build starts slowly
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.err.append(line)
            m = re.search(r"listening on (https?)://127\.0\.0\.1:(\d+)", line)
            if m:
                self.scheme, self.port = m.group(1), int(m.group(2))
                break
        if self.port is None:
            self.proc.kill()
            raise AssertionError("serve did not start: " + "".join(self.err) +
                                 self.proc.stderr.read())
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self):
        for line in self.proc.stderr:
            self.err.append(line)

    def conn(self, timeout=120, **kw):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout, **kw)

    def stop(self, sig=None, timeout=120):
        """Sends `sig` (default SIGTERM), waits, returns the exit status (negative: killed)."""
        import signal
        self.proc.send_signal(sig if sig is not None else signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._close()
        return code

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=60)
        self._close()

    def _close(self):
        if self.reader is None:
            return
        self.reader.join(timeout=10)
        if not self.reader.is_alive():
            self.proc.stderr.close()

    def stderr(self):
        return "".join(self.err)

    def sanitizer_report(self):
        m = SANITIZER_REPORT.search(self.stderr())
        return self.stderr() if m else None


def request(conn, method, path, body=None, headers=None):
    if isinstance(body, str):
        body = body.encode("utf-8")
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def post_one(conn, line):
    return request(conn, "POST", "/v1/decisions", line, {"Content-Type": "application/json"})


def post_lines(conn, lines):
    return request(conn, "POST", "/v1/decisions", "\n".join(lines) + "\n",
                   {"Content-Type": "application/x-ndjson"})


def parse_seqs(header):
    """'17-19,22' -> [17, 18, 19, 22] (the Bukong-Audit-Seq header)."""
    seqs = []
    for part in header.split(","):
        first, _, last = part.partition("-")
        seqs.extend(range(int(first), int(last or first) + 1))
    return seqs


def answered(status, headers, body, sent):
    """The decisions a 200 answer acknowledges: [(seq, declaration line, decision line)].
    `sent` is the list of declaration lines of the request (one for a single request)."""
    if status != 200:
        return []
    text = body.decode("utf-8")
    seqs = parse_seqs(headers["bukong-audit-seq"])
    if len(sent) == 1 and "x-ndjson" not in headers.get("content-type", ""):
        assert text.endswith("\n") and text.count("\n") == 1, text
        assert len(seqs) == 1, headers
        return [(seqs[0], sent[0], text[:-1])]
    answers = text.split("\n")
    assert answers[-1] == "", "an answer without its final newline"
    answers = answers[:-1]
    assert len(answers) == len(sent), (len(answers), len(sent))
    decided = [(line, a) for line, a in zip(sent, answers) if not a.startswith('{"error"')]
    assert len(decided) == len(seqs), (len(decided), headers["bukong-audit-seq"])
    return [(seq, line, a) for seq, (line, a) in zip(seqs, decided)]


def export(bukong, db, path):
    """The audit log as {seq: (declaration line, decision line)} (`bukong audit export`)."""
    run(bukong, "audit", "export", "--db", db, "-o", path)
    records = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            records[r["seq"]] = (r["declaration"], r["decision"])
    return records
