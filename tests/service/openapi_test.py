#!/usr/bin/env python3
"""docs/openapi.yaml checked against a running `bukong serve`: every documented operation is
called, every status code it documents is produced (except the 503s of an overloaded or
failing server, which serve_test.py provokes), and every answer has a documented status, a
documented content type and a body that matches the documented schema. An operation the
server has but the document lacks (or the reverse) fails the test.

Usage: openapi_test.py BUKONG SOURCE_DIR
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml  # python3-yaml (scripts/install-deps.sh)

BUKONG, SOURCE = sys.argv[1], sys.argv[2]
SPEC = yaml.safe_load(open(os.path.join(SOURCE, "docs/openapi.yaml")))
TOKEN = "openapi-test-token-0123456789"
# Provoked by serve_test.py (queue full / draining / audit log failure), not here.
EXEMPT = {("postDecisions", "503"), ("postOutcomes", "503"), ("getReadyz", "503")}


def resolve(ref):
    node = SPEC
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def check(value, schema, where):
    if "$ref" in schema:
        return check(value, resolve(schema["$ref"]), where)
    if value is None:
        assert schema.get("nullable"), f"{where}: null is not allowed"
        return
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool,
             "integer": int, "number": (int, float)}
    if kind:
        assert isinstance(value, types[kind]) and not (kind == "integer" and isinstance(value, bool)), \
            f"{where}: expected {kind}, got {value!r}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if kind == "object":
        for name in schema.get("required", []):
            assert name in value, f"{where}: required property {name!r} missing in {value}"
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(value[name], sub, f"{where}.{name}")
    if kind == "array":
        for i, item in enumerate(value):
            check(item, schema.get("items", {}), f"{where}[{i}]")


def main():
    work = tempfile.mkdtemp(prefix="bukong-openapi.")
    try:
        run = lambda *a: subprocess.run(a, check=True, capture_output=True, text=True)
        run(BUKONG, "gen", "all", "--out", f"{work}/data", "--profiles", "50",
            "--declarations", "20", "--rules", "5", "--seed", "3")
        run(BUKONG, "init", "--db", f"{work}/db")
        run(BUKONG, "profiles", "import", "--db", f"{work}/db", f"{work}/data/profiles.csv")
        token_file = f"{work}/token"
        with open(token_file, "w") as f:
            f.write(TOKEN)
        os.chmod(token_file, 0o600)
        lines = [l.strip() for l in open(f"{work}/data/declarations.jsonl") if l.strip()]
        rules = open(f"{work}/data/generated.rules").read()
        proc = subprocess.Popen([BUKONG, "serve", "--db", f"{work}/db", "--rules",
                                 f"{work}/data/generated.rules", "--listen", "127.0.0.1:0",
                                 "--token-file", token_file, "--max-body-bytes", "65536"],
                                stderr=subprocess.PIPE, text=True)
        port = None
        for line in proc.stderr:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        assert port, "serve did not start"
        auth = {"Authorization": "Bearer " + TOKEN}
        first_id = json.loads(lines[0])["id"]
        J = {"Content-Type": "application/json"}
        N = {"Content-Type": "application/x-ndjson"}
        # operationId -> [(method, path, body, headers)]
        cases = {
            "postDecisions": [
                ("POST", "/v1/decisions", lines[0], {**J, **auth}),
                ("POST", "/v1/decisions", "\n".join(lines[1:4] + ['{"id":1}']), {**N, **auth}),
                ("POST", "/v1/decisions", '{"id":"x"}', {**J, **auth}),
                ("POST", "/v1/decisions", lines[0], J),
                ("POST", "/v1/decisions", "x" * 70000, {**J, **auth}),
            ],
            "getDecision": [
                ("GET", f"/v1/decisions/{first_id}", None, auth),
                ("GET", "/v1/decisions/never-decided", None, auth),
                ("GET", f"/v1/decisions/{first_id}", None, {}),
            ],
            "postOutcomes": [
                ("POST", "/v1/outcomes", json.dumps({"id": first_id, "result": "clean"}),
                 {**N, **auth}),
                ("POST", "/v1/outcomes", "{}", N),
            ],
            "getRuleset": [("GET", "/v1/ruleset", None, auth), ("GET", "/v1/ruleset", None, {})],
            "putRuleset": [
                ("PUT", "/v1/ruleset", rules, auth),
                ("PUT", "/v1/ruleset", "rule x", auth),
                ("PUT", "/v1/ruleset", rules, {}),
            ],
            "getHealthz": [("GET", "/healthz", None, {})],
            "getReadyz": [("GET", "/readyz", None, {})],
            "getMetrics": [("GET", "/metrics", None, {})],
        }
        documented = set()
        failures = []
        for path, item in SPEC["paths"].items():
            for method, op in item.items():
                opid = op["operationId"]
                documented.add(opid)
                if opid not in cases:
                    failures.append(f"{opid}: documented but the test has no request for it")
                    continue
                seen = set()
                for m, p, body, headers in cases[opid]:
                    assert m == method.upper() and re.fullmatch(
                        re.sub(r"\{[^}]+\}", "[^/]+", path), p), (opid, m, p)
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    c.request(m, p, body=body.encode() if body else None, headers=headers)
                    r = c.getresponse()
                    data = r.read()
                    c.close()
                    code = str(r.status)
                    seen.add(code)
                    where = f"{opid} {m} {p} -> {code}"
                    if code not in op["responses"]:
                        failures.append(f"{where}: status not documented ({data[:200]!r})")
                        continue
                    resp = op["responses"][code]
                    if "$ref" in resp:
                        resp = resolve(resp["$ref"])
                    ctype = r.getheader("Content-Type", "").split(";")[0]
                    content = resp.get("content", {})
                    if ctype not in content:
                        failures.append(f"{where}: content type {ctype} not documented")
                        continue
                    schema = content[ctype]["schema"]
                    try:
                        if ctype == "application/json":
                            check(json.loads(data), schema, where)
                        elif ctype == "application/x-ndjson":
                            for i, l in enumerate(data.decode().splitlines()):
                                obj = json.loads(l)
                                if "error" in obj:
                                    check(obj, resolve("#/components/schemas/Error"), where)
                                elif opid == "postDecisions":
                                    check(obj, resolve("#/components/schemas/Decision"), where)
                    except AssertionError as e:
                        failures.append(str(e))
                for code in op["responses"]:
                    if code not in seen and (opid, code) not in EXEMPT:
                        failures.append(f"{opid}: documented status {code} never produced")
        for opid in cases:
            if opid not in documented:
                failures.append(f"{opid}: the server answers it but docs/openapi.yaml lacks it")
        proc.terminate()
        assert proc.wait(timeout=30) == 0, "serve did not exit 0 on SIGTERM"
        if failures:
            print("\n".join(failures))
            return 1
        print(f"openapi_test: {len(documented)} operations, every answer as documented")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
