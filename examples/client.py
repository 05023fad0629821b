#!/usr/bin/env python3
"""A declaration system's side of `bukong serve` (standard library only).

Posts each declaration of a JSON Lines file to POST /v1/decisions over one keep-alive
connection and prints, per decided declaration, one line {"seq": N, "decision": {...}}:
the decision and the audit record that holds it (a 200 is sent only once that record is
durable). A declaration the server refuses (400) is reported on stderr as FILE:LINE: error
and skipped; a 503 (queue full, shutting down) is retried with back-off.

  python3 examples/client.py --url http://127.0.0.1:8080 declarations.jsonl
  python3 examples/client.py --url https://host:8443 --cafile cert.pem --token-file token decl.jsonl

Exit status: 0 all decided, 1 server or connection failure, 3 some lines refused.
"""
import argparse
import http.client
import json
import ssl
import sys
import time
import urllib.parse


def connect(url, cafile):
    u = urllib.parse.urlsplit(url)
    if u.scheme == "https":
        ctx = ssl.create_default_context(cafile=cafile)
        return http.client.HTTPSConnection(u.hostname, u.port or 443, context=ctx, timeout=60)
    return http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--token-file", help="file holding the bearer token")
    ap.add_argument("--cafile", help="CA certificate(s) for https")
    ap.add_argument("input", help="declarations, JSON Lines")
    args = ap.parse_args()

    headers = {"Content-Type": "application/json"}
    if args.token_file:
        with open(args.token_file) as f:
            headers["Authorization"] = "Bearer " + f.read().strip()
    conn = connect(args.url, args.cafile)
    refused = 0
    with open(args.input, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            for attempt in range(8):
                conn.request("POST", "/v1/decisions", body=line.encode(), headers=headers)
                r = conn.getresponse()
                body = r.read()
                if r.status != 503:
                    break
                time.sleep(0.05 * 2 ** attempt)  # back-pressure: the server asks us to wait
            if r.status == 200:
                seq = int(r.getheader("Bukong-Audit-Seq"))
                print(json.dumps({"seq": seq, "decision": json.loads(body)}, ensure_ascii=False))
            elif r.status == 400:
                refused += 1
                error = json.loads(body)["error"]
                print(f"{args.input}:{number}: error: {error['message']}", file=sys.stderr)
            else:
                print(f"{args.url}: HTTP {r.status}: {body.decode(errors='replace')}",
                      file=sys.stderr)
                return 1
    return 3 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
