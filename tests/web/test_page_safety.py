"""Issue 12, pages and headers: links only for safe schemes (one rule, ``pages/base.py safe_link``),
security headers on every answer, the base IRI from configuration (never the Host header), client
input echoed bounded and escaped, and 4xx (not 500) for bad addresses."""
from __future__ import annotations

import re
import time

import pytest
from bs4 import BeautifulSoup

from kg.sources import ESSAY_GRAPH, SourceFile
from kg.web import create_app
from kg.web.http import DATA_CSP, PAGE_CSP

UNSAFE = ["javascript:alert(1)", "JavaScript:alert(document.cookie)", "data:text/html,hi", "vbscript:msgbox(1)",
          "file:///etc/passwd", "jar:http://x!/y", "x-evil:thing"]
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def hostile_app(page_sources, tmp_path_factory):
    """The pages' fixture graph plus statements whose objects, subjects and causes are IRIs of
    unsafe schemes (what a token holder could write)."""
    d = tmp_path_factory.mktemp("hostile-links")
    lines = ["@prefix ds: <https://w3id.org/deepseek-kg/id/> . @prefix dsk: <https://w3id.org/deepseek-kg/ontology#> .",
             "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> ."]
    for i, iri in enumerate(UNSAFE):
        lines.append(f'ds:deepseek rdfs:seeAlso <{iri}> . <{iri}> rdfs:label "unsafe {i}"@en ; a dsk:Concept .')
        lines.append(f"ds:causal-unsafe-{i} a dsk:CausalAssertion ; rdfs:label \"unsafe cause {i}\"@en ; "
                     f"dsk:cause <{iri}> ; dsk:effect ds:deepseek .")
    (d / "hostile.ttl").write_text("\n".join(lines))
    app = create_app({"SOURCES": page_sources + [SourceFile(d / "hostile.ttl", ESSAY_GRAPH)], "QUERY_TIMEOUT": 0,
                      "TESTING": True, "PUBLIC_URL": "https://kg.example"})
    yield app
    app.extensions["kg"].close()


@pytest.fixture
def hc(hostile_app):
    return hostile_app.test_client()


def _hrefs(resp) -> list[str]:
    """Where the page's links and its canonical link go (the site's own icon is a data: URL)."""
    s = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    return [el.get("href") for el in s.select("a[href], link[rel=canonical], area[href]")]


@pytest.mark.parametrize("path", ["/page/deepseek", "/concepts", "/causal", "/map", "/argument", "/claims", "/actors"]
                         + [f"/resource?iri={iri}" for iri in UNSAFE[:3]])
def test_unsafe_iris_are_text_never_links(hc, path):
    r = hc.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 200, (path, r.status_code)
    for h in _hrefs(r):
        assert not re.match(r"\s*(javascript|data|vbscript|file|jar|x-evil):", h, re.I), (path, h)


def test_the_unsafe_iri_is_still_shown(hc):
    s = BeautifulSoup(hc.get("/page/deepseek").get_data(as_text=True), "html.parser")
    shown = [el.get("title") for el in s.select("span.unlinked")]
    assert set(UNSAFE) <= set(shown)


def test_the_map_data_gives_no_link_for_an_unsafe_iri(hc):
    nodes = hc.get("/map.json").json["nodes"]
    unsafe = [n for n in nodes if n["id"] in UNSAFE]
    assert len(unsafe) == len(UNSAFE) and all(n["href"] is None for n in unsafe)
    assert all(n["href"] for n in nodes if n["id"] not in UNSAFE)


# -- headers -----------------------------------------------------------------------------------------
ROUTES = ["/", "/essay", "/page/deepseek", "/data/deepseek.ttl", "/sparql", "/sparql?query=ASK%7B%7D", "/map.json",
          "/dumps/", "/context.jsonld", "/no/such/page", "/sparql?query=SELEC", "/healthz", "/query",
          "/rdf-graph-store?graph=x"]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("accept", ["text/html", "*/*"])
def test_every_answer_carries_the_security_headers(hc, path, accept):
    r = hc.get(path, headers={"Accept": accept})
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Referrer-Policy"] == "same-origin"
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert csp == (PAGE_CSP if r.mimetype == "text/html" else DATA_CSP), (path, r.mimetype)
    if r.mimetype == "text/html":
        assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("style-src")[0]


# -- the base IRI -------------------------------------------------------------------------------------
def test_relative_iris_resolve_against_public_url_not_the_host_header(hc):
    q = {"query": 'SELECT (IRI("x") AS ?i) {}'}
    for host in ("localhost", "evil.example", "evil.example:666"):
        r = hc.get("/sparql", query_string=q, headers={**JSON, "Host": host})
        assert r.json["results"]["bindings"][0]["i"]["value"] == "https://kg.example/x"


def test_without_public_url_the_base_is_still_fixed(client):
    r = client.get("/sparql", query_string={"query": 'SELECT (IRI("x") AS ?i) {}'}, headers={**JSON, "Host": "evil.example"})
    assert r.json["results"]["bindings"][0]["i"]["value"] == "http://localhost/x"


# -- echoed input ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("request_kw", [
    {"query_string": {"query": "ASK {}", "infer": "<script>alert(1)</script>" * 40}},  # (an unknown format= is ignored)
    {"query_string": {"query": "ASK {}"}, "headers": {"Accept": "text/x-evil; q=1, " + "a/b, " * 1500}},
    {"query_string": {"query": "ASK {}", "default-graph-uri": "\r\nSet-Cookie: x=1" + "y" * 500}},
])
def test_errors_echo_client_input_bounded_and_escaped(hc, request_kw):
    r = hc.get("/sparql", **request_kw)
    assert 400 <= r.status_code < 500 and r.mimetype == "text/plain"
    body = r.get_data(as_text=True)
    assert len(body) < 1200 and "<script>" not in body and "\r\nSet-Cookie" not in body


@pytest.mark.parametrize("iri", ["relative", "x", "/abs/path", "#frag", "?q=1"])
def test_a_relative_iri_is_400_not_500(hc, iri):
    r = hc.get("/resource", query_string={"iri": iri})
    assert r.status_code == 400 and b"absolute IRI" in r.data


def test_a_404_with_a_huge_path_is_answered_quickly(hc):
    """The "did you mean" compares a bounded part of the path with every label."""
    for accept in ("text/html", "*/*"):
        t0 = time.monotonic()
        r = hc.get("/page/" + "-".join(["altman"] * 1300), headers={"Accept": accept})
        assert r.status_code == 404 and time.monotonic() - t0 < 2
