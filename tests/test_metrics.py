"""/metrics: what each metric counts, who may read it, and the sums across gunicorn's processes."""
from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import EX, GRAPHS, free_port

JSON = {"Accept": "application/sparql-results+json"}
TOKEN = "kg-metrics-test-token"
RUNAWAY = "SELECT (COUNT(*) AS ?n) { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(8)) + " }"


def samples(text: str) -> dict[tuple, float]:
    """(name, frozenset of labels) -> value, for every sample in an exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(found: dict, name: str, **labels) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in found.items() if n == name and want <= ls)


@pytest.fixture
def token_file(tmp_path) -> str:
    (tmp_path / "metrics-token").write_text(TOKEN + "\n")
    return str(tmp_path / "metrics-token")


def scrape(client) -> dict:
    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=")
    return samples(r.get_data(as_text=True))


# -- who may read it ---------------------------------------------------------------------------
def test_off_the_public_path_by_default(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


@pytest.mark.parametrize("auth", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"])
def test_a_token_file_guards_it(make_app, token_file, auth):
    c = make_app(METRICS_TOKEN_FILE=token_file).test_client()
    r = c.get("/metrics", headers={"Authorization": auth} if auth else {})
    assert r.status_code == 401 and "Bearer" in r.headers["WWW-Authenticate"] and TOKEN not in r.get_data(as_text=True)
    assert scrape(c)


def test_an_empty_token_file_is_refused_at_start(make_app, tmp_path):
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ValueError, match="empty"):
        make_app(METRICS_TOKEN_FILE=str(tmp_path / "empty"))


# -- what is counted ------------------------------------------------------------------------------
def test_requests_queries_caches_and_caps(make_app, token_file):
    c = make_app(METRICS_TOKEN_FILE=token_file, MAX_ROWS=1).test_client()
    q = {"query": "SELECT * { ?s ?p ?o }"}
    for _ in range(3):
        assert c.get("/sparql", query_string=q, headers=JSON).status_code == 200
    c.post("/sparql", data={"query": "ASK { ?s ?p ?o }"}, headers=JSON)
    c.get("/sparql", query_string={"query": "SELEC nonsense"}, headers=JSON)
    c.get("/no-such-page")
    m = scrape(c)
    assert value(m, "kg_http_requests_total", route="/sparql", method="GET", status="200") == 3
    assert value(m, "kg_http_requests_total", route="/sparql", method="POST") == 1
    assert value(m, "kg_http_requests_total", route="/sparql", status="400") == 1
    assert value(m, "kg_http_requests_total", status="404") == 1
    assert value(m, "kg_http_request_duration_seconds_count", route="/sparql") == 5
    assert value(m, "kg_cache_lookups_total", cache="response", result="hit") == 2  # the repeated GETs
    assert value(m, "kg_cache_lookups_total", cache="answer", result="miss") >= 2
    assert value(m, "kg_query_duration_seconds_count", form="SELECT") == 1
    assert value(m, "kg_query_duration_seconds_count", form="ASK") == 1
    assert value(m, "kg_query_rows_capped_total") == 1
    assert value(m, "kg_store_quads") == 19


def test_timeouts_and_query_process_restarts(make_app, token_file):
    c = make_app(METRICS_TOKEN_FILE=token_file, QUERY_TIMEOUT=0.5).test_client()
    assert c.get("/sparql", query_string={"query": RUNAWAY}, headers=JSON).status_code == 503
    m = scrape(c)
    assert value(m, "kg_query_timeouts_total") == 1 and value(m, "kg_query_process_restarts_total") == 1


def test_text_search_caps(make_app, token_file):
    c = make_app(METRICS_TOKEN_FILE=token_file, TEXT_MAX_HITS=1).test_client()
    q = "PREFIX text: <https://w3id.org/deepseek-kg/text#> SELECT ?s { ?s text:search \"bob\" }"
    c.get("/sparql", query_string={"query": q.replace("bob", "a")}, headers=JSON)
    c.get("/sparql", query_string={"query": q}, headers=JSON)
    assert value(scrape(c), "kg_text_search_capped_total") == 0  # "Bob" is one label: nothing cut
    c2 = make_app(METRICS_TOKEN_FILE=token_file, TEXT_MAX_HITS=1, SOURCES=None).test_client()
    c2.get("/sparql", query_string={"query": q.replace("bob", "capital")}, headers=JSON)
    assert value(scrape(c2), "kg_text_search_capped_total") == 1


def test_writes_and_refusals(make_app, token_file, tmp_path):
    from kg.auth import add_token
    tokens = tmp_path / "tokens.json"
    writer = add_token(tokens, "alice", "write")
    (tmp_path / "shapes.ttl").write_text(f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <{EX}> .
        ex:S a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path <http://www.w3.org/2000/01/rdf-schema#label> ; sh:minCount 1 ] .""")
    c = make_app(METRICS_TOKEN_FILE=token_file, ALLOW_UPDATE=True, STATE_DIR=str(tmp_path / "state"), TOKENS=str(tokens),
                 SHAPES=str(tmp_path / "shapes.ttl"), WRITABLE_GRAPHS=EX + "graph/").test_client()
    people = GRAPHS["people.ttl"]
    send = lambda u: c.post("/update", data=u, headers={"Authorization": f"Bearer {writer}",  # noqa: E731
                                                        "Content-Type": "application/sparql-update"})
    assert send(f'INSERT DATA {{ GRAPH <{people}> {{ <{EX}dave> a <{EX}Person> ; <http://www.w3.org/2000/01/rdf-schema#label> "D" }} }}').status_code == 200
    assert send(f"INSERT DATA {{ GRAPH <{people}> {{ <{EX}erin> a <{EX}Person> }} }}").status_code == 422
    assert send("INSERT DATA { GRAPH <http://elsewhere/g> { <http://x> <http://y> 1 } }").status_code == 403
    m = scrape(c)
    assert value(m, "kg_writes_total", outcome="ok", status="200") == 1
    assert value(m, "kg_writes_total", outcome="refused", status="422") == 1
    assert value(m, "kg_writes_total", outcome="refused", status="403") == 1
    assert value(m, "kg_write_duration_seconds_count") == 3


def test_shacl_outcomes(make_app, token_file):
    c = make_app(METRICS_TOKEN_FILE=token_file, SOURCES=None).test_client()
    ttl = {"Content-Type": "text/turtle"}
    c.post("/shacl", data=b"<http://ex/a> a <https://w3id.org/deepseek-kg/ontology#Claim> .", headers=ttl)
    c.post("/shacl", data=b"<http://ex/a> <http://ex/p> 1 .", headers=ttl)
    c.post("/shacl", data=b"<a> <b> .", headers=ttl)
    m = scrape(c)
    assert [value(m, "kg_shacl_validations_total", outcome=o) for o in ("fails", "conforms", "refused")] == [1, 1, 1]


# -- under gunicorn: one sum over every process --------------------------------------------------
def get(url: str, headers: dict | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()


def workers(master: int) -> set[int]:
    return {int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()}


@pytest.mark.slow
def test_sums_across_workers_restarts_and_a_private_directory(start_server, fixture_sources, tmp_path):
    mport = free_port()
    directory = tmp_path / "metrics"
    directory.mkdir(mode=0o700)
    (directory / "counter_999999.db").write_bytes(b"left by an earlier run")
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    server = start_server(data + ["--workers", "2", "--no-dump-warmup", "--query-timeout", "1",
                                  "--metrics-bind", f"127.0.0.1:{mport}", "--metrics-dir", str(directory)],
                          env={"KG_QUERY_ISOLATION": "worker"})  # an overrun ends the worker (query processes: the process)
    assert not (directory / "counter_999999.db").exists() and (directory.stat().st_mode & 0o777) == 0o700
    metrics_url = f"http://127.0.0.1:{mport}/metrics"
    for i in range(30):
        assert get(f"{server.url}/sparql?query=ASK%7B%7D&n={i}", JSON)[0] == 200
    assert get(server.url + "/metrics")[0] == 404                      # not on the public address
    assert get(f"http://127.0.0.1:{mport}/sparql?query=ASK%7B%7D")[0] == 404   # the metrics address serves /metrics only
    status, text = get(metrics_url)
    m = samples(text)
    assert status == 200 and value(m, "kg_http_requests_total", route="/sparql", status="200") == 30
    assert value(m, "kg_worker_restarts_total") == 0
    deadline = time.monotonic() + 20   # gunicorn forks its workers a moment apart; 30 quick answers may come first
    while len(before := workers(server.proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(before) == 2
    os.kill(sorted(before)[0], signal.SIGKILL)                           # a worker dies; the master replaces it
    deadline = time.monotonic() + 20
    while len(workers(server.proc.pid) - before) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    status, slow = get(f"{server.url}/sparql?query={urllib.parse.quote(RUNAWAY)}", JSON)   # the watchdog ends a worker
    assert status == 503
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        m = samples(get(metrics_url)[1])
        if value(m, "kg_worker_restarts_total") >= 2:
            break
        time.sleep(0.2)
    assert value(m, "kg_worker_restarts_total") == 2 and value(m, "kg_query_timeouts_total") == 1
    assert value(m, "kg_http_requests_total", route="/sparql", status="200") == 30   # the dead workers' counts stay
    assert value(m, "kg_store_quads") == 19


@pytest.mark.slow
def test_no_metrics_directory_unless_metrics_are_served(start_server, fixture_sources, tmp_path):
    """Regression: every server made a temporary metrics directory, left behind when it was killed."""
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    server = start_server(data + ["--workers", "2", "--no-dump-warmup"], env={"TMPDIR": str(tmp_path)})
    deadline = time.monotonic() + 20
    while len(before := workers(server.proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(sorted(before)[0], signal.SIGKILL)                  # the master's child_exit hook runs without one
    while len(workers(server.proc.pid) - before) < 1 and time.monotonic() < deadline + 20:
        time.sleep(0.1)
    assert get(f"{server.url}/sparql?query=ASK%7B%7D", JSON)[0] == 200 and server.proc.poll() is None
    assert get(server.url + "/metrics")[0] == 404
    assert not list(tmp_path.glob("kg-metrics-*"))
