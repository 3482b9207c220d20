"""Shared fixtures: ``app``, ``client``, ``runner`` on a small fixture graph, and live gunicorn
servers (``live_server`` on the same graph, ``start_server`` for any data) for HTTP tests."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kg.sources import SourceFile
from kg.web import create_app

REPO = Path(__file__).resolve().parents[1]
EX = "http://example.org/"

def pytest_configure(config):
    config.addinivalue_line("markers", "w3c: a W3C rdf-tests case run against the live server")


FIXTURE_TTL = {
    "people.ttl": f"""@prefix ex: <{EX}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:alice a ex:Person ; rdfs:label "Alice"@en, "Alicia"@es ; ex:knows ex:bob ; ex:age 42 .
ex:bob a ex:Person ; rdfs:label "Bob" ; ex:knows ex:carol .
ex:carol a ex:Person ; rdfs:label "Carol, \\"the\\" third" ; ex:knows ex:alice .
""",
    "events.ttl": f"""@prefix ex: <{EX}> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:launch a ex:Event ; ex:date "2025-01-20"^^xsd:date ; ex:actor ex:alice .
ex:crash a ex:Event ; ex:date "2025-01-27"^^xsd:date ; ex:actor ex:bob ; ex:note [ ex:text "bnode" ] .
""",
}
GRAPHS = {"people.ttl": EX + "graph/people", "events.ttl": EX + "graph/events"}


@pytest.fixture(scope="session")
def fixture_sources(tmp_path_factory) -> list[SourceFile]:
    d = tmp_path_factory.mktemp("fixture-data")
    out = []
    for name, text in FIXTURE_TTL.items():
        (d / name).write_text(text, encoding="utf-8")
        out.append(SourceFile(d / name, GRAPHS[name]))
    return out


@pytest.fixture
def make_app(fixture_sources):
    """A factory: ``make_app(MAX_ROWS=3)`` -> app on the fixture graph; pools closed afterwards."""
    apps = []

    def make(**config):
        app = create_app({"SOURCES": fixture_sources, "QUERY_TIMEOUT": 3, "QUERY_PROCESSES": 1,
                          "TESTING": True, **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["kg"].close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, args: list[str], env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "server.py"), "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", *args],
            cwd=REPO, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    out = self.proc.stdout.read().decode(errors="replace") if self.proc.poll() is not None else ""
                    self.stop()
                    raise RuntimeError(f"server did not start: {out[-2000:]}")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown: no graceful wait
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture(scope="session")
def start_server():
    """A factory: ``start_server(["--data", "x.ttl=http://g", ...])`` -> LiveServer (gunicorn)."""
    servers = []

    def start(args: list[str], env: dict | None = None) -> LiveServer:
        s = LiveServer(args, env)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


@pytest.fixture(scope="session")
def live_server(start_server, fixture_sources) -> LiveServer:
    """The real server (gunicorn, 2 workers x 2 threads) on the fixture graph, 2 s query limit."""
    data = [f"{s.path}={s.graph}" for s in fixture_sources]
    return start_server([a for d in data for a in ("--data", d)] +
                        ["--workers", "2", "--threads", "2", "--query-timeout", "2"])
