"""The 34 W3C SPARQL 1.1 Protocol tests, sent over HTTP to the live server (gunicorn).

Every request of a test is sent as written in the manifest (method, path, headers, body
bytes in the stated encoding) and the answer checked for status, format and boolean. The
server loads the graphs the manifest's ut:graphData names and runs with the write path on
(any graph writable), and every request carries a curator's bearer token: the manifest's
requests have none, and without one an update is rightly a 401. The token has the admin role:
the tests clear whole graphs of a few triples, a mass deletion for a write token (issue 12).
"""
from __future__ import annotations

import http.client
import io

import pytest
from rdflib import Graph
from rdflib.namespace import RDFS
from rdflib.query import Result

from .manifest import CNT, HT, MF, SPARQL11, UT, entries, items, require

MANIFEST = require(SPARQL11 / "protocol" / "manifest.ttl")
TESTS = entries(MANIFEST)
STATUS = {"StatusCode2xx": range(200, 300), "StatusCode3xx": range(300, 400), "StatusCode4xx": range(400, 500),
          "StatusCode5xx": range(500, 600)}


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    from kg.auth import add_token
    d = tmp_path_factory.mktemp("w3c-protocol")
    return d, add_token(d / "tokens.json", "w3c", "admin")  # the tests clear whole (tiny) graphs: mass deletion


@pytest.fixture(scope="module")
def server(start_server, token):
    g = TESTS[0][0]
    data = {}
    for _, t in TESTS:
        for gd in g.objects(t, UT.graphData):
            data[str(g.value(gd, UT.graph)).removeprefix("file://")] = str(g.value(gd, RDFS.label))
    args = [a for path, name in sorted(data.items()) for a in ("--data", f"{path}={name}")]
    d, _ = token
    return start_server(args + ["--workers", "2", "--allow-update", "--state-dir", str(d / "state"),
                                "--tokens", str(d / "tokens.json"), "--writable-graphs", "*"])


def _name(t) -> str:
    return str(t).rsplit("#", 1)[-1]


def send(server, g, req, token: str) -> tuple[int, str, bytes]:
    method = str(g.value(req, HT.methodName))
    path = str(g.value(req, HT.absolutePath))
    headers = {str(g.value(h, HT.fieldName)): str(g.value(h, HT.fieldValue)) for h in items(g, g.value(req, HT.headers))}
    body_node = g.value(req, HT.body)
    body = None
    if body_node is not None:
        enc = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(g.value(body_node, CNT.chars)).encode(enc.lower())
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Authorization", f"Bearer {token}")
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type", ""), r.read()
    finally:
        conn.close()


def check_format(expected: str, ctype: str, data: bytes):
    mt = ctype.split(";")[0].strip()
    if expected in ("boolean", "tabular"):
        fmt = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
               "text/csv": "csv", "text/tab-separated-values": "tsv"}[mt]
        res = Result.parse(io.BytesIO(data), format=fmt)
        assert res.type == ("ASK" if expected == "boolean" else "SELECT")
        return res
    fmt = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml"}[mt]
    Graph().parse(data=data, format=fmt)


@pytest.mark.parametrize("test", [t for _, t in TESTS], ids=[_name(t) for _, t in TESTS])
def test_protocol(server, token, test):
    g = TESTS[0][0]
    for req in items(g, g.value(g.value(test, MF.action), HT.requests)):
        status, ctype, data = send(server, g, req, token[1])
        resp = g.value(req, HT.resp)
        allowed = [STATUS[str(s).rsplit("#", 1)[-1]] for s in g.objects(resp, MF.expectedStatus)]
        assert any(status in r for r in allowed), (status, data[:300])
        assert b"Traceback" not in data
        fmt = g.value(resp, MF.expectedFormat)
        if fmt is not None:
            res = check_format(str(fmt), ctype, data)
            expected_bool = g.value(resp, MF.expectedBoolean)
            if expected_bool is not None:
                assert res.askAnswer == expected_bool.toPython()


def test_all_34_tests_are_listed():
    assert len(TESTS) == 34
