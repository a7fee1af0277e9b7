#!/usr/bin/env python3
"""Hostile inputs the fuzzer does not make, sent to every operation of /api/openapi.json.

Usage: hostile.py BASE_URL USER:KEY

Bad JSON, invalid UTF-8, deep nesting, huge/negative/fractional numbers in every query parameter
and in the body fields the document names, unknown enum values, oversized bodies. Each answer must
be below 500 and the server must still answer afterwards. Exit status 1 on any failure.
"""
import base64, http.client, json, re, sys, urllib.parse

base, cred = sys.argv[1], sys.argv[2]
url = urllib.parse.urlsplit(base)
auth = "Basic " + base64.b64encode(cred.encode()).decode()
failures = []
sent = 0


def request(method, path, body=None, headers=None):
    global sent
    sent += 1
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    h = {"Authorization": auth, "Accept": "application/json"}
    if body is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return r.status, data
    except Exception as e:  # a dropped connection counts as a failure: the server must answer
        return None, repr(e).encode()
    finally:
        conn.close()


def check(what, method, path, body=None, headers=None):
    status, data = request(method, path, body, headers)
    if status is None or status >= 500:
        failures.append("%s %s (%s): %s %s" % (method, path[:120], what, status, data[:200]))


doc = json.loads(request("GET", "/api/openapi.json")[1])
numbers = ["-1", "-9223372036854775809", "9223372036854775807", "9223372036854775808", "1e400", "-1e400",
           "1.5", "NaN", "inf", "0x10", "", " 7", "%00", "99999999999999999999999999999999"]
bodies = [
    b"{", b"[]", b"null", b"\"text\"", b"{\"a\":", b"\xff\xfe\xfd", b"{\"name\": \"\xc3\x28\"}",
    b"[" * 100000 + b"]" * 100000, b"{\"a\":" * 50000 + b"1" + b"}" * 50000,
    b"{\"target_num_containers\": 1e400}", b"{\"target_num_containers\": -9223372036854775809}",
]
for path, item in sorted(doc["paths"].items()):
    concrete = re.sub(r"\{[^}]*\}", "x", path)
    for method, op in item.items():
        M = method.upper()
        params = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        for name in params:
            for v in numbers:
                check("query %s=%r" % (name, v), M, concrete + "?" + urllib.parse.urlencode({name: v}))
        check("unknown query", M, concrete + "?zzz=1&limit=1&limit=2")
        check("percent garbage", M, concrete.rstrip("/") + "%ff%fe/")
        if M in ("POST", "PATCH", "PUT"):
            for b in bodies:
                check("body %r" % b[:30], M, concrete, b)
            schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in schema:
                schema = doc["components"]["schemas"][schema["$ref"].split("/")[-1]]
            for field, fs in sorted(schema.get("properties", {}).items()):
                for v in [-1, 2**63, -2**63 - 1, 1e308, "x" * 70000, {"deep": [[[[[[]]]]]]}, [None], True, "UNKNOWN_ENUM_VALUE"]:
                    check("body %s=%r" % (field, str(v)[:20]), M, concrete, json.dumps({field: v}).encode())
        check("huge header", M, concrete, headers={"X-Big": "y" * 60000})
status, _ = request("GET", "/api/app/v1/service/")
if status != 200:
    failures.append("the server no longer answers (GET service list: %s)" % status)
print("hostile: %d requests, %d failure(s)" % (sent, len(failures)))
for f in failures[:40]:
    print("FAIL " + f)
sys.exit(1 if failures else 0)
