"""Safe by default: no outbound requests, time limits, row caps, size limits, CORS, gzip, caching."""
from __future__ import annotations

import gzip
import http.client
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest

from conftest import EX
from testkit.listener import Listener

JSON = {"Accept": "application/sparql-results+json"}
RUNAWAY = "SELECT (COUNT(*) AS ?n) { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(8)) + " }"


@pytest.fixture
def listener():
    li = Listener()
    yield li
    li.close()


def service_queries(url: str) -> list[str]:
    return [
        f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"select * {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        f"PREFIX r: <{url.rsplit('/', 1)[0]}/> SELECT * {{ ?x ?y ?z OPTIONAL {{ SERVICE r:sparql {{ ?s ?p ?o }} }} }}",
        f"SELECT * {{ {{ SELECT ?s {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        f"ASK {{ SERVICE<{url}>{{?s ?p ?o}} }} # comment",
    ]


def test_control_pyoxigraph_alone_does_call_out(listener):
    """Without the guard the engine does reach the listener: the guard is what stops it."""
    ox.Store().query(f"SELECT * {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}")
    assert listener.hits


def test_service_is_refused_and_nothing_leaves(client, listener):
    for q in service_queries(listener.url):
        r = client.get("/sparql", query_string={"query": q}, headers=JSON)
        assert r.status_code == 400, q
        assert "SERVICE is not allowed" in r.get_data(as_text=True)
        r = client.post("/sparql", data=q, content_type="application/sparql-query")
        assert r.status_code == 400
    time.sleep(0.2)
    assert listener.hits == []


def test_service_refused_on_live_server(live_server, listener):
    q = urllib.parse.quote(service_queries(listener.url)[0])
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{live_server.url}/sparql?query={q}", timeout=10)
    assert exc.value.code == 400 and b"SERVICE" in exc.value.read()
    time.sleep(0.2)
    assert listener.hits == []


@pytest.mark.parametrize("q", [
    'SELECT * { ?s ?p "SERVICE <http://127.0.0.1:9/> {}" }',
    "SELECT * { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/> {}",
    f"SELECT ?service {{ ?service <{EX}SERVICE> ?o }}",
    "PREFIX svc: <http://example.org/> SELECT * { ?s svc:SERVICE ?o }",
])
def test_service_lookalikes_are_not_refused(client, q):
    assert client.get("/sparql", query_string={"query": q}, headers=JSON).status_code == 200


def test_a_prefix_named_service_reads_as_the_keyword(client, listener):
    """pyoxigraph reads ``SERVICE:x`` as SERVICE followed by ``:x`` (and ``SERVICEex:x`` as SERVICE
    ``ex:x``): the control shows it calls out; so a prefix whose name begins with SERVICE, LOAD or
    SILENT is refused, with the reason (tests/test_scanner.py has the whole family)."""
    ox.Store().query(f"PREFIX : <{listener.url}#> SELECT * {{ SERVICE:x {{ ?s ?p ?o }} }}")
    assert listener.hits
    listener.hits.clear()
    r = client.get("/sparql", headers=JSON, query_string={
        "query": "PREFIX SERVICE: <http://example.org/> SELECT * { ?s SERVICE:p ?o }"})
    assert r.status_code == 400 and "SERVICE is not allowed" in r.get_data(as_text=True)


def test_allow_listed_service_is_called(make_app, listener):
    client = make_app(SERVICE_ALLOWLIST=[listener.url]).test_client()
    r = client.get("/sparql", query_string={"query": f"SELECT * {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"})
    assert r.status_code == 200 and listener.hits
    r = client.get("/sparql", query_string={"query": "SELECT * { SERVICE <http://127.0.0.2:9/> { ?s ?p ?o } }"})
    assert r.status_code == 400


def test_load_in_update_is_refused(client, listener):
    r = client.post("/sparql", data=f"LOAD <{listener.url}>", content_type="application/sparql-update")
    assert r.status_code == 400 and "LOAD" in r.get_data(as_text=True)
    assert listener.hits == []


def test_runaway_query_is_stopped_within_the_limit(make_app):
    client = make_app(QUERY_TIMEOUT=1).test_client()
    t0 = time.monotonic()
    r = client.get("/sparql", query_string={"query": RUNAWAY}, headers=JSON)
    elapsed = time.monotonic() - t0
    assert r.status_code == 503 and "1 s limit" in r.get_data(as_text=True)
    assert elapsed < 2.5
    # the executor was replaced: the next query is answered
    r = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers=JSON)
    assert r.get_json()["boolean"] is True


@pytest.fixture(scope="module")
def sync_server(start_server, fixture_sources):
    """gunicorn with 2 sync workers: queries run in the worker, which is ended on overrun."""
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    return start_server(data + ["--workers", "2", "--threads", "1", "--query-timeout", "2"])


@pytest.mark.parametrize("server_fixture", ["live_server", "sync_server"])
def test_other_clients_are_served_during_a_runaway_query(request, server_fixture):
    """Live gunicorn, 2 s limit, threaded (query processes) and sync (worker watchdog):
    fast queries answer while one runs away; it is stopped in time; the server carries on."""
    live_server = request.getfixturevalue(server_fixture)
    slow: dict = {}

    def run_slow():
        t0 = time.monotonic()
        try:
            urllib.request.urlopen(f"{live_server.url}/sparql?query={urllib.parse.quote(RUNAWAY)}", timeout=20)
        except urllib.error.HTTPError as exc:
            slow["status"], slow["body"] = exc.code, exc.read()
        slow["elapsed"] = time.monotonic() - t0

    t = threading.Thread(target=run_slow)
    t.start()
    time.sleep(0.3)
    fast = []
    for _ in range(10):  # another client: another address (one client's own requests take turns, CLIENT_REQUESTS)
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=5, source_address=("127.0.0.2", 0))
        conn.request("GET", "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D")
        assert conn.getresponse().status == 200
        conn.close()
        fast.append(time.monotonic() - t0)
    t.join()
    assert slow["status"] == 503 and b"2 s limit" in slow["body"]
    assert slow["elapsed"] < 2 + 1.5
    assert max(fast) < 1.0
    for _ in range(10):  # the stopped worker or query process was replaced
        with urllib.request.urlopen(f"{live_server.url}/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D", timeout=5) as r:
            assert r.status == 200


def test_row_cap_is_announced(make_app):
    client = make_app(MAX_ROWS=3).test_client()
    r = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"}, headers=JSON)
    assert len(r.get_json()["results"]["bindings"]) == 3
    assert "3" in r.headers["KG-Truncated"]
    assert r.get_json()["head"]["link"] == ["urn:x-kg:truncated:max-rows=3"]
    r = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }", "format": "xml"})
    assert b"<link href=" in r.data and "KG-Truncated" in r.headers
    r = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "nt"})
    assert len(r.data.strip().splitlines()) == 3 and "KG-Truncated" in r.headers
    r = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o } LIMIT 3"}, headers=JSON)
    assert "KG-Truncated" not in r.headers and "link" not in r.get_json()["head"]


def test_query_length_and_body_limits(make_app):
    client = make_app(MAX_QUERY_LENGTH=100, MAX_CONTENT_LENGTH=1000).test_client()
    long_q = "SELECT * { ?s ?p ?o } #" + "x" * 200
    assert client.get("/sparql", query_string={"query": long_q}).status_code == 413
    r = client.post("/sparql", data="ASK {} #" + "x" * 2000, content_type="application/sparql-query")
    assert r.status_code == 413 and b"Traceback" not in r.data


def test_cors_default_open_and_preflight(client):
    r = client.options("/sparql", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"]
    r = client.get("/sparql?query=ASK%7B%7D", headers={"Origin": "https://app.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_configurable(make_app):
    client = make_app(CORS_ORIGINS="https://a.example").test_client()
    r = client.get("/sparql?query=ASK%7B%7D", headers={"Origin": "https://a.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://a.example" and "Origin" in r.headers["Vary"]
    r = client.get("/sparql?query=ASK%7B%7D", headers={"Origin": "https://b.example"})
    assert "Access-Control-Allow-Origin" not in r.headers
    client = make_app(CORS_ORIGINS="").test_client()
    assert "Access-Control-Allow-Origin" not in client.get("/sparql?query=ASK%7B%7D", headers={"Origin": "https://a.example"}).headers


def test_gzip(make_app):
    client = make_app(GZIP_MIN_SIZE=10).test_client()
    q = {"query": "SELECT * { ?s ?p ?o }"}
    plain = client.get("/sparql", query_string=q, headers=JSON)
    zipped = client.get("/sparql", query_string=q, headers={**JSON, "Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers and zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert "Accept-Encoding" in zipped.headers["Vary"] and "Accept" in zipped.headers["Vary"]
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    again = client.get("/sparql", query_string=q, headers={**JSON, "Accept-Encoding": "gzip",
                                                            "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304


def test_etag_and_last_modified_revalidate(client):
    q = {"query": "SELECT * { ?s ?p ?o }"}
    r = client.get("/sparql", query_string=q, headers=JSON)
    etag, lm = r.headers["ETag"], r.headers["Last-Modified"]
    r2 = client.get("/sparql", query_string=q, headers={**JSON, "If-None-Match": etag})
    assert r2.status_code == 304 and r2.data == b"" and r2.headers["ETag"] == etag
    assert client.get("/sparql", query_string=q, headers={**JSON, "If-None-Match": '"other"'}).status_code == 200
    assert client.get("/sparql", query_string=q, headers={**JSON, "If-Modified-Since": lm}).status_code == 304
    other = client.get("/sparql", query_string=q, headers={"Accept": "text/csv"})
    assert other.headers["ETag"] != etag
    sd = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert client.get("/sparql", headers={"Accept": "text/turtle", "If-None-Match": sd.headers["ETag"]}).status_code == 304


def test_result_cache_answers_repeats_without_running(make_app):
    app = make_app()
    client = app.test_client()
    q = {"query": "SELECT * { ?s ?p ?o }"}
    first = client.get("/sparql", query_string=q, headers=JSON)
    state = app.extensions["kg"]

    def boom(*args, **kwargs):
        raise AssertionError("the query ran again")

    state.run = boom
    again = client.get("/sparql", query_string=q, headers=JSON)
    assert again.status_code == 200 and again.data == first.data and again.headers["ETag"] == first.headers["ETag"]


def test_result_cache_can_be_turned_off(make_app):
    app = make_app(RESULT_CACHE_MB=0)
    client = app.test_client()
    q = {"query": "ASK { ?s ?p ?o }"}
    client.get("/sparql", query_string=q)
    assert not app.extensions["kg"].cache.items


def test_response_cache_serves_identical_gets_and_respects_vary(make_app):
    app = make_app()
    client = app.test_client()
    state = app.extensions["kg"]
    runs = []
    real_run = state.run
    state.run = lambda *a, **k: runs.append(1) or real_run(*a, **k)
    q = {"query": "SELECT * { ?s ?p ?o }"}
    first = client.get("/sparql", query_string=q, headers=JSON)
    hit = client.get("/sparql", query_string=q, headers=JSON)
    assert len(runs) == 1
    assert hit.data == first.data and dict(hit.headers) == dict(first.headers)
    csv = client.get("/sparql", query_string=q, headers={"Accept": "text/csv"})  # other Accept: its own answer
    assert csv.mimetype == "text/csv" and len(runs) == 2
    cond = client.get("/sparql", query_string=q, headers={**JSON, "If-None-Match": first.headers["ETag"]})
    assert cond.status_code == 304  # conditional requests go through the app
    post = client.post("/sparql", data=q, headers=JSON)  # POST: the ETag-keyed result cache
    assert post.data == first.data and len(runs) == 2


def test_response_cache_keeps_errors_out(make_app):
    app = make_app()
    client = app.test_client()
    bad = {"query": "SELECT * WHERE { ?s ?p }"}
    assert client.get("/sparql", query_string=bad).status_code == 400
    assert not app.extensions["kg"].cache.items  # the one answer cache (kg.web.state)
