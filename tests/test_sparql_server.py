"""The real server: gunicorn (not Flask's dev server), flags and KG_* settings, the bundled data."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from kg.sources import QUERIES_DIR, default_sources
from kg.web import create_app

from conftest import REPO


def get(url: str, accept: str = "application/sparql-results+json"):
    req = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


def test_live_server_is_gunicorn(live_server):
    status, headers, body = get(f"{live_server.url}/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }"))
    assert status == 200 and headers["Server"].startswith("gunicorn")
    assert json.loads(body)["boolean"] is True
    status, _, body = get(f"{live_server.url}/healthz")
    assert json.loads(body)["status"] == "ok"


def test_settings_from_kg_environment(start_server, fixture_sources):
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    server = start_server(data + ["--workers", "1"], env={"KG_MAX_ROWS": "2"})
    status, headers, body = get(f"{server.url}/sparql?query=" + urllib.parse.quote("SELECT * { ?s ?p ?o }"))
    assert len(json.loads(body)["results"]["bindings"]) == 2 and "KG-Truncated" in headers


@pytest.mark.parametrize("cmd", [[sys.executable, "server.py", "--help"], [sys.executable, "-m", "kg.cli", "serve", "--help"]])
def test_help(cmd):
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for flag in ("--bind", "--workers", "--threads", "--query-timeout", "--max-rows", "--data", "--service-allow"):
        assert flag in out.stdout


@pytest.mark.parametrize("args,says", [
    (["--store", "/nonexistent/store"], "not an on-disk store (write one with: kg load --to /nonexistent/store)"),
    (["--store", "http://127.0.0.1:9/sparql"], "unreachable"),
    (["--allow-update"], "ALLOW_UPDATE needs STATE_DIR and TOKENS"),
])
def test_a_server_that_cannot_start_says_why_in_one_line(args, says):
    """Regression: a missing store or an unreachable engine ended server.py with a traceback."""
    out = subprocess.run([sys.executable, "server.py", *args], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [out.stderr.strip()] and says in out.stderr


def test_flask_dev_server_is_never_used():
    text = (REPO / "server.py").read_text() + (REPO / "src" / "kg" / "web" / "serving.py").read_text()
    assert "app.run(" not in text and "gunicorn" in text


BUNDLED = [s.path for s in default_sources()]


@pytest.fixture(scope="module")
def bundled_client():
    if not all(p.exists() for p in BUNDLED):
        pytest.skip(f"bundled sources not written yet: {[str(p) for p in BUNDLED if not p.exists()]}")
    app = create_app({"QUERY_TIMEOUT": 5, "QUERY_PROCESSES": 1})
    yield app.test_client()
    app.extensions["kg"].close()


def test_bundled_data_served_in_named_graphs(bundled_client):
    from kg.sources import ESSAY_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH
    q = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    r = bundled_client.get("/sparql", query_string={"query": q}, headers={"Accept": "application/sparql-results+json"})
    graphs = {b["g"]["value"]: int(b["n"]["value"]) for b in r.get_json()["results"]["bindings"]}
    assert set(graphs) == {ESSAY_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH, INFERRED_GRAPH} and all(graphs.values())


def test_competency_queries_run_through_the_endpoint(bundled_client):
    files = sorted(QUERIES_DIR.glob("*.rq"))
    if not files:
        pytest.skip("no competency queries in queries/ yet")
    for f in files:
        r = bundled_client.post("/sparql", data=f.read_text(encoding="utf-8"), content_type="application/sparql-query")
        assert r.status_code == 200, (f.name, r.data[:300])


def test_errors_name_the_command_that_was_run(tmp_path):
    out = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--data", str(tmp_path / "missing.ttl")],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and out.stderr.startswith("kg serve: ") and "missing.ttl" in out.stderr
    assert "server.py" not in out.stderr and "Traceback" not in out.stderr


def test_a_busy_port_is_one_line_with_a_hint(fixture_sources):
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
        out = subprocess.run([sys.executable, "server.py", *data, "--host", "127.0.0.1", "--port", str(port),
                              "--no-dump-warmup"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip() == (f"server.py: cannot listen on 127.0.0.1:{port}: the address is in use (is another "
                                  "server running?); stop it, or pick another port with --port N")


@pytest.mark.parametrize("given,bind", [
    ({}, "127.0.0.1:8000"),
    ({"PORT": 8001}, "127.0.0.1:8001"),
    ({"HOST": "0.0.0.0"}, "0.0.0.0:8000"),
    ({"HOST": "::1", "PORT": 9}, "[::1]:9"),
    ({"BIND": "10.0.0.1:5000", "PORT": 5001}, "10.0.0.1:5001"),
])
def test_host_and_port_beside_bind(given, bind):
    from kg.web.serving import _bind
    values = {"BIND": "127.0.0.1:8000", "HOST": None, "PORT": None, **given}
    assert _bind(values) == bind
