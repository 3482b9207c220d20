"""Issue 12, property-based fuzzing of the HTTP endpoints: generated SPARQL-like texts, protocol
parameters, headers, Graph Store bodies and raw HTTP requests. The property, for every input:
an answer below 500 (a 503 only as the limits' own answer), the server's own text, no trace,
no crash; nothing reaches the network; the server still answers afterwards.

Bounded in CI (the "ci" hypothesis profile of tests/conftest.py); the long run of
docs/security.md: ``python -m pytest tests/security/test_fuzz.py --hypothesis-profile=long``.
"""
from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kg.auth import add_token
from kg.web import create_app
from testkit.listener import Listener

from conftest import EX

from .test_http_server import raw

LIMIT_503 = (b"Query Timeout", b"memory limit", b"stayed busy", b"longer than")
KEYWORDS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH",
            "SERVICE", "SILENT", "LOAD", "BIND", "VALUES", "FROM", "NAMED", "PREFIX", "BASE", "INSERT", "DELETE",
            "DATA", "WITH", "USING", "CLEAR", "DROP", "CREATE", "ALL", "DEFAULT", "ORDER BY", "GROUP BY", "HAVING",
            "LIMIT", "OFFSET", "DISTINCT", "a", "true", "COUNT", "EXISTS", "NOT", "IN", "AS", "STR", "REGEX", "IRI",
            "CONCAT", "SERVICESILENT", "LOADSILENT", "MOVE", "COPY", "ADD", "TO", "INTO", "UNDEF", "SUM"]
PUNCT = list("{}()[].;,*=<>!?$/^|+-#'\"\\") + ["<<", ">>", "&&", "||", "^^", "\n", "\t", "\x00", "\u2028"]


def atoms(listener_url: str):
    return st.one_of(
        st.sampled_from(KEYWORDS), st.sampled_from(PUNCT),
        st.sampled_from([f"<{listener_url}>", "<http://127.0.0.1:9/x>", "<x>", "<>", "<javascript:alert(1)>",
                         f"<{EX}alice>", "<http://a\\u003Eb>", "<file:///etc/passwd>"]),
        st.from_regex(r"\A(?:[a-z]{0,3}:[A-Za-z0-9_.\-]{0,6}|[?$][a-z]{1,3}|_:[a-z0-9]{1,3})\Z"),
        st.from_regex(r"""\A(?:'[^'\\\n]{0,8}'?|"[^"\\\n]{0,8}"?|'''.{0,8}|[0-9]{1,4}(\.[0-9]{0,2})?(e[0-9])?)\Z"""),
        st.text(max_size=4),
    )


def sparqlish(listener_url: str):
    flat = st.lists(atoms(listener_url), max_size=120).flatmap(
        lambda parts: st.lists(st.sampled_from(["", " ", "\n"]), min_size=len(parts), max_size=len(parts))
        .map(lambda seps: "".join(p + s for p, s in zip(parts, seps))))
    nested = st.integers(0, 150).flatmap(lambda n: st.sampled_from("{([").map(
        lambda o: "SELECT * WHERE { ?s ?p " + o * n + "1" + {"{": "}", "(": ")", "[": "]"}[o] * n + " }"))
    return st.one_of(flat, nested, st.text(max_size=300))


ACCEPTS = ["", "*/*", "application/sparql-results+json", "text/csv", "text/html", "text/turtle;q=0.1, */*;q=0",
           "application/x-nope", "a/b; q=x", ";;;", "text/html, " * 50]
CONTENT_TYPES = ["application/sparql-query", "application/sparql-update", "application/x-www-form-urlencoded",
                 "text/plain", "", "application/sparql-query; charset=latin-1", "multipart/form-data; boundary=x",
                 "application/sparql-query; charset=utf-8; charset=utf-16"]


@pytest.fixture(scope="module")
def listener():
    with Listener() as li:
        yield li


@pytest.fixture(scope="module")
def fuzz_app(fixture_sources, tmp_path_factory):
    """Writes on (so updates and Graph Store writes run), short limits."""
    d = tmp_path_factory.mktemp("fuzz")
    token = add_token(d / "tokens.json", "fuzz", "admin")
    (d / "shapes.ttl").write_text("")  # the shapes gate reads its file when the app is made
    app = create_app({"SOURCES": fixture_sources, "ALLOW_UPDATE": True, "STATE_DIR": str(d / "state"),
                      "TOKENS": str(d / "tokens.json"), "WRITABLE_GRAPHS": "*", "QUERY_TIMEOUT": 2,
                      "QUERY_PROCESSES": 2, "QUERY_MEMORY_MB": 128, "VALIDATION_TIMEOUT": 10, "TESTING": True,
                      "SHAPES": str(d / "shapes.ttl")})
    app.config["FUZZ_TOKEN"] = token
    yield app
    app.extensions["kg"].close()


def check(r) -> None:
    body = r.data
    assert r.status_code < 500 or (r.status_code == 503 and any(m in body for m in LIMIT_503)), (r.status_code, body[:300])
    assert b"Traceback" not in body
    if r.status_code >= 400 and r.mimetype == "text/plain" and body:  # (HEAD: no body)
        assert body.startswith(str(r.status_code).encode()), body[:200]


@given(data=st.data())
def test_queries_and_updates(fuzz_app, listener, data):
    text = data.draw(sparqlish(listener.url), "text")
    how = data.draw(st.sampled_from(["get", "post-query", "post-form", "post-update", "form-update", "update-endpoint"]))
    accept = data.draw(st.sampled_from(ACCEPTS))
    auth = {"Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKEN']}"}
    c = fuzz_app.test_client()
    headers = {"Accept": accept} if accept else {}
    if how == "get":
        r = c.get("/sparql", query_string={"query": text}, headers=headers)
    elif how == "post-query":
        r = c.post("/sparql", data=text.encode("utf-8", "surrogatepass"), headers={**headers, "Content-Type": "application/sparql-query"})
    elif how == "post-form":
        r = c.post("/sparql", data={"query": text}, headers=headers)
    elif how == "post-update":
        r = c.post("/sparql", data=text.encode("utf-8", "surrogatepass"),
                   headers={**headers, **auth, "Content-Type": "application/sparql-update"})
    elif how == "form-update":
        extra = data.draw(st.dictionaries(st.sampled_from(["using-graph-uri", "using-named-graph-uri"]),
                                          st.sampled_from([f"{EX}graph/people", "x", "", f"{listener.url}> LOAD <x"]),
                                          max_size=2))
        r = c.post("/sparql", data={"update": text, **extra}, headers={**headers, **auth})
    else:
        r = c.post("/update", data={"update": text}, headers={**headers, **auth})
    check(r)
    assert listener.hits == []


@given(params=st.lists(st.tuples(st.sampled_from(["query", "update", "format", "default-graph-uri", "named-graph-uri",
                                                 "using-graph-uri", "graph", "default", "q", "iri", "example"]),
                                 st.text(max_size=40)), max_size=6),
       path=st.sampled_from(["/sparql", "/update", "/rdf-graph-store", "/resource", "/search", "/query", "/page/x",
                             "/data/x.ttl", "/dumps/x", "/claims", "/map.json", "/deepseek-kg/id/x", "/essay"]),
       method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]),
       content_type=st.sampled_from(CONTENT_TYPES), accept=st.sampled_from(ACCEPTS),
       body=st.binary(max_size=300))
def test_any_parameters_headers_and_bodies(fuzz_app, listener, params, path, method, content_type, accept, body):
    url = path + ("?" + urllib.parse.urlencode(params) if params else "")
    headers = {"Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKEN']}"}
    if content_type:
        headers["Content-Type"] = content_type
    if accept:
        headers["Accept"] = accept
    r = fuzz_app.test_client().open(url, method=method, data=body, headers=headers)
    check(r)
    assert listener.hits == []


RDF_TYPES = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml", "text/n3"]


def rdfish():
    nested = st.integers(0, 120).flatmap(lambda n: st.sampled_from([
        f"<{EX}s> <{EX}p> " + "[ <{EX}q> ".replace("{EX}", EX) * n + "1" + " ]" * n + " .",
        f"<{EX}s> <{EX}p> " + "( " * n + "1" + " )" * n + " .",
        '{"@id": "http://x/s", "http://x/p": ' + '{"http://x/q": ' * n + "1" + "}" * n + "}",
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://x/"><rdf:Description>'
        + "<e:p><rdf:Description>" * n + "</rdf:Description></e:p>" * n + "</rdf:Description></rdf:RDF>"]))
    return st.one_of(nested, st.text(max_size=200), st.sampled_from([
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://x/">'
        '<rdf:Description rdf:about="http://x/s"><e:p>&d;&d;&d;&d;</e:p></rdf:Description></rdf:RDF>',
        '{"@context": "http://127.0.0.1:9/ctx", "@id": "http://x/s"}', "<a> <b> <c> .", "@prefix : <x> ."]))


@given(body=rdfish(), content_type=st.sampled_from(RDF_TYPES), method=st.sampled_from(["PUT", "POST"]),
       graph=st.sampled_from([f"{EX}graph/fuzz", "relative", "", "http://x/g> . <a", f"{EX}graph/people"]))
def test_graph_store_bodies(fuzz_app, listener, body, content_type, method, graph):
    r = fuzz_app.test_client().open("/rdf-graph-store", method=method, query_string={"graph": graph},
                                    data=body.encode("utf-8", "surrogatepass"),
                                    headers={"Content-Type": content_type,
                                             "Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKEN']}"})
    check(r)
    assert listener.hits == []


def test_the_fuzzed_app_still_answers(fuzz_app):
    r = fuzz_app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"},
                                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200


# -- raw HTTP against gunicorn --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def live(start_server, fixture_sources, tmp_path_factory):
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    log = tmp_path_factory.mktemp("fuzz-live") / "server.log"  # a file: an unread pipe would fill and block the server
    return start_server(data + ["--workers", "2", "--threads", "2", "--query-timeout", "2", "--request-timeout", "2"],
                        log=log)


LINES = [b"GET /sparql?query=ASK%7B%7D HTTP/1.1", b"POST /sparql HTTP/1.1", b"GET / HTTP/1.0", b"PUT /rdf-graph-store HTTP/1.1",
         b"GET /sparql?query=" + b"%7B" * 100 + b" HTTP/1.1", b"OPTIONS * HTTP/1.1", b"GET http://x/ HTTP/1.1", b"\x00\xff"]
FIELDS = [b"Host: x", b"Content-Type: application/sparql-query", b"Content-Length: 5", b"Content-Length: -1",
          b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked, gzip", b"Expect: 100-continue", b"Connection: close",
          b"Accept: */*", b"X: \xff\xfe", b"Host: ", b" Host: x", b"Content-Length: 99999999999999999999", b"Cookie: a=b"]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(line=st.one_of(st.sampled_from(LINES), st.binary(max_size=60)), fields=st.lists(st.sampled_from(FIELDS), max_size=6),
       end=st.sampled_from([b"\r\n\r\n", b"\r\n", b"\n\n", b""]), body=st.binary(max_size=80))
def test_raw_requests_get_an_answer_in_our_format_or_none(live, line, fields, end, body):
    out = raw(live, line + b"\r\n" + b"\r\n".join(fields) + end + body, wait=4, half_close=True, errors=(OSError,))
    if not out:
        return  # the client's request never completed (it closed first): nothing to answer
    assert out.startswith(b"HTTP/1."), out[:100]
    head, _, payload = out.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert status < 500 or (status == 503 and any(m in payload for m in LIMIT_503)), out[:300]
    assert b"<html" not in payload[:200].lower() or b"text/html" in head  # gunicorn's pages never; ours only as pages
    assert b"Server Error" not in head


def test_the_live_server_still_answers(live):
    import urllib.request
    with urllib.request.urlopen(f"{live.url}/sparql?query=ASK%7B%7D", timeout=10) as r:
        assert r.status == 200
